"""Shared by the bench scripts that run inside `haul netem`'s client namespace."""
import sys
import time

import requests


def wait_healthy(url, seconds=60):
    """Returns once GET /healthz answers 200; exits the script after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if requests.get(url + "/healthz", timeout=2).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    sys.exit("bench: gateway did not become healthy")
