"""Sends a striped upload (docs/api.md "Stripes") the way the haul client
does: every stripe on its own connection, all at once, with python3-requests."""
import concurrent.futures
import hashlib

import requests


def stripe_size(size, count):
    """core/stripes.hpp: ceil(size / count) rounded up to 1 KiB."""
    per = -(-size // count)
    return -(-per // 1024) * 1024


def stripe_url(gw, key, upload, index, count, size, sha):
    return (f"{gw.url}/v1/objects/{key}?upload={upload}&stripe={index}&stripes={count}"
            f"&size={size}&sha256={sha}")


def put_stripe(gw, key, upload, data, index, count, sha=None):
    """One stripe over a fresh connection; returns the requests.Response."""
    sha = sha or hashlib.sha256(data).hexdigest()
    s = stripe_size(len(data), count)
    chunk = data[index * s:(index + 1) * s]
    with requests.Session() as session:
        return session.put(stripe_url(gw, key, upload, index, count, len(data), sha), data=chunk,
                           headers=gw.auth, timeout=60)


def send_stripes(gw, key, upload, data, count, indexes=None):
    """Sends the given stripes (default all) concurrently; returns {index: Response}."""
    indexes = list(range(count)) if indexes is None else indexes
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        futures = {i: pool.submit(put_stripe, gw, key, upload, data, i, count) for i in indexes}
        return {i: f.result() for i, f in futures.items()}
