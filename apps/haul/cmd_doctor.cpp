// haul doctor [--gateway URL] [--token T] [--connections N] [--cacert F] [--json]
// haul doctor sockets [--port P | --pid N] [--watch S] [--json]
// haul doctor trace [--gateway URL] [--size N] [--interval-ms 5] [--out PREFIX]
// Flags -> options structs -> src/doctor; this file only parses and prints.
#include <cstdio>
#include <nlohmann/json.hpp>

#include "apps/haul/commands.hpp"
#include "apps/haul/tls_flags.hpp"
#include "client/edge_socket.hpp"
#include "core/error.hpp"
#include "core/size_parse.hpp"
#include "doctor/doctor.hpp"
#include "doctor/render.hpp"
#include "doctor/sockets.hpp"
#include "doctor/trace.hpp"
#include "doctor/units.hpp"
#include "http_client/base_target.hpp"

namespace haul::app {

namespace {

uint64_t size_flag(const std::string& text, const char* flag) {
  auto v = parse_size(text);
  if (!v) throw Error(ErrorKind::config, std::string(flag) + ": not a size: " + text);
  return *v;
}

struct DoctorFlags {
  std::string gateway, gateway_positional, token, rate, probe_bytes = "64M", edge;
  uint64_t connections = 4096;
  double rtt_ms = 0;
  int handshakes = 5;
  http_client::TlsOptions tls;
  bool json = false;
};

struct SocketsFlags {
  int port = 0;
  int pid = 0;
  double watch = 0;
  int samples = 0;
  uint64_t pile = 100;
  bool json = false;
};

struct TraceFlags {
  std::string gateway, token, size = "64M", out = "haul-trace", direction = "upload";
  int interval_ms = 5;
  http_client::TlsOptions tls;
  bool json = false;
};

void run_main(DoctorFlags& f) {
  doctor::DoctorOptions o;
  o.gateway = f.gateway_positional.empty() ? f.gateway : f.gateway_positional;
  o.edge = f.edge;
  // Like put/get: a running edge on its default socket is checked too.
  if (o.edge.empty())
    if (auto socket = client::running_edge_socket()) o.edge = std::string(http_client::kUnixPrefix) + *socket;
  o.token = f.token;
  if (!o.gateway.empty()) finish_tls_flags(f.tls, o.gateway);
  o.tls = f.tls;
  o.connections = f.connections;
  o.handshakes = f.handshakes;
  o.probe_bytes = size_flag(f.probe_bytes, "--probe-bytes");
  if (f.rtt_ms > 0) o.rtt_ms = f.rtt_ms;
  if (!f.rate.empty()) {
    auto r = parse_rate_bps(f.rate);
    if (!r || *r == 0) throw Error(ErrorKind::config, "--rate: not a rate (like 100mbit): " + f.rate);
    o.rate_bps = *r;
  }
  doctor::DoctorReport rep = doctor::run_doctor(o);
  if (f.json) {
    std::printf("%s\n", doctor::doctor_report_json(rep).dump(2).c_str());
    return;
  }
  std::printf("haul doctor: %s%s\n\n", rep.model.describe().c_str(),
              o.gateway.empty() ? " (pass --gateway URL to measure the real path)" : "");
  if (rep.path)
    for (const auto& note : rep.path->notes) std::printf("note: %s\n", note.c_str());
  std::printf("%s", doctor::render_findings(rep.findings).c_str());
}

void run_trace(TraceFlags& f) {
  if (f.gateway.empty()) throw Error(ErrorKind::config, "doctor trace needs --gateway URL (or HAUL_GATEWAY)");
  doctor::TraceOptions o;
  o.url = f.gateway;
  o.token = f.token;
  finish_tls_flags(f.tls, o.url);
  o.tls = f.tls;
  o.size = size_flag(f.size, "--size");
  o.interval_ms = f.interval_ms;
  o.out_prefix = f.out;
  o.direction = f.direction == "download" ? doctor::TraceDirection::download : doctor::TraceDirection::upload;
  doctor::TraceResult r = doctor::run_trace(o);
  if (f.json) {
    nlohmann::json j = {{"schema", "haul.doctor.trace/1"},
                        {"direction", f.direction},
                        {"bytes", r.transfer.bytes},
                        {"seconds", r.transfer.seconds},
                        {"rate_bps", r.transfer.rate_bps()},
                        {"samples", r.samples.size()},
                        {"side", r.side},
                        {"csv", r.csv_path},
                        {"png", r.png_path.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.png_path)},
                        {"png_note", r.png_note}};
    std::printf("%s\n", j.dump(2).c_str());
    return;
  }
  std::printf("%s of %s in %s (%s), %zu TCP_INFO samples of the %s\n", f.direction.c_str(),
              doctor::human_bytes(static_cast<double>(r.transfer.bytes)).c_str(),
              doctor::human_ms(r.transfer.seconds).c_str(), doctor::human_rate(r.transfer.rate_bps()).c_str(),
              r.samples.size(), r.side.c_str());
  std::printf("wrote %s\n", r.csv_path.c_str());
  if (!r.png_path.empty())
    std::printf("wrote %s\n", r.png_path.c_str());
  else
    std::printf("no PNG: %s\n", r.png_note.c_str());
}

}  // namespace

void add_doctor_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("doctor",
                                 "Check this host's TCP settings and the path to a gateway; say what to change and why "
                                 "(changes nothing)");
  auto flags = std::make_shared<DoctorFlags>();
  cmd->add_option("--gateway", flags->gateway, "Gateway URL to measure (http://host:port)")->envname("HAUL_GATEWAY");
  cmd->add_option("url", flags->gateway_positional, "Same as --gateway (haul doctor URL); wins over HAUL_GATEWAY");
  cmd->add_option("--token", flags->token, "Bearer token for the gateway's probe routes")->envname("HAUL_TOKEN");
  cmd->add_option("--edge", flags->edge,
                  "A running haul edge to check: its gateway connections, failures (its /metrics); a URL or\n"
                  "unix:PATH (default: one on the edge's default socket, when it accepts)")
      ->envname("HAUL_EDGE");
  cmd->add_option("--connections", flags->connections, "Connections this host should carry (nofile, ports)")
      ->capture_default_str();
  // The reference path's defaults are the doctor's own (PathModel).
  const doctor::PathModel reference;
  cmd->add_option(
      "--rtt-ms", flags->rtt_ms,
      "Reference RTT without --gateway (default " + std::to_string(static_cast<int>(reference.rtt_s * 1e3)) + ")");
  cmd->add_option("--rate", flags->rate,
                  "Reference rate without --gateway (default " +
                      std::to_string(static_cast<long long>(reference.rate_bps / 1e6)) + "mbit)");
  cmd->add_option("--probe-bytes", flags->probe_bytes, "Largest probe transfer each way")->capture_default_str();
  cmd->add_option("--handshakes", flags->handshakes, "TCP handshakes timed for the RTT")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  add_tls_flags(cmd, flags->tls);
  cmd->add_flag("--json", flags->json, "Print JSON (fields in docs/doctor.md)");

  auto* sockets = cmd->add_subcommand("sockets",
                                      "TCP sockets by state (sock_diag), with TCP_INFO; flags CLOSE_WAIT "
                                      "and TIME_WAIT piles");
  auto sflags = std::make_shared<SocketsFlags>();
  auto* port_opt = sockets->add_option("--port", sflags->port, "Sockets with this local or remote port")
                       ->check(CLI::Range(1, 65535));
  sockets->add_option("--pid", sflags->pid, "Sockets held by this process")
      ->excludes(port_opt)
      ->check(CLI::PositiveNumber);
  sockets->add_option("--watch", sflags->watch, "Sample again every S seconds")->check(CLI::NonNegativeNumber);
  sockets->add_option("--samples", sflags->samples, "With --watch: stop after N samples (default: until interrupted)");
  sockets->add_option("--time-wait-pile", sflags->pile, "TIME_WAIT sockets per side that count as a pile")
      ->capture_default_str();
  sockets->add_flag("--json", sflags->json, "One JSON object per sample, one per line");
  sockets->callback([sflags] {
    doctor::SocketsOptions o;
    if (sflags->port) o.port = static_cast<uint16_t>(sflags->port);
    if (sflags->pid) o.pid = sflags->pid;
    o.watch_s = sflags->watch;
    o.samples = sflags->samples;
    o.json = sflags->json;
    o.time_wait_pile = sflags->pile;
    doctor::run_sockets(o, stdout);
  });

  auto* trace = cmd->add_subcommand("trace", "Sample TCP_INFO of one probe transfer every few ms: CSV + PNG plot");
  auto tflags = std::make_shared<TraceFlags>();
  trace->add_option("--gateway", tflags->gateway, "Gateway URL")->envname("HAUL_GATEWAY");
  trace->add_option("--token", tflags->token, "Bearer token")->envname("HAUL_TOKEN");
  trace->add_option("--size", tflags->size, "Bytes to transfer")->capture_default_str();
  trace->add_option("--interval-ms", tflags->interval_ms, "Sampling interval")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000));
  trace->add_option("--out", tflags->out, "Output prefix: PREFIX.csv, PREFIX.png")->capture_default_str();
  trace->add_option("--direction", tflags->direction, "upload (client sends) or download (gateway sends)")
      ->check(CLI::IsMember({"upload", "download"}))
      ->capture_default_str();
  add_tls_flags(trace, tflags->tls);
  trace->add_flag("--json", tflags->json, "Print a JSON summary");
  trace->callback([tflags] { run_trace(*tflags); });

  cmd->callback([cmd, sockets, trace, flags] {
    if (sockets->parsed() || trace->parsed()) return;
    (void)cmd;
    run_main(*flags);
  });
}

}  // namespace haul::app
