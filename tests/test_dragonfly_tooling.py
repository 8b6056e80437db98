"""Darner started the way Dragonfly's own tooling starts Dragonfly: the command lines of its pytest
harness (tests/dragonfly/instance.py) and of tools/cluster_mgr.py, every flag Dragonfly defines,
and glog-style log files. Darner-only: these are Dragonfly's command lines, not Redis's."""
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from helpers import DARNER_BIN, RawClient, free_port, scaled

pytestmark = pytest.mark.darner_only

# Every flag Dragonfly (with helio and glog) defines, abseil's built-ins left out: read from
# Dragonfly's sources, names only. Darner must accept each one.
DRAGONFLY_FLAGS = [
    "MAXSEARCHRESULTS", "aclfile", "acllog_max_len", "admin_bind", "admin_nopass", "admin_port",
    "allocation_tracker", "alsologtoemail", "alsologtostderr", "always_flush_pipeline",
    "announce_port", "async_dispatch_quota", "background_heartbeat", "backing_file_direct", "bind",
    "break_replication_on_master_restart", "cache_mode", "cluster_announce_ip", "cluster_mode",
    "cluster_node_id", "cluster_search", "colorlogtostderr", "colorlogtostdout", "command_alias",
    "compression_level", "compression_mode", "conn_io_thread_start", "conn_io_threads",
    "conn_use_incoming_cpu", "container_iteration_yield_interval_usec", "dbfilename", "dbnum",
    "default_lua_flags", "deserialize_hnsw_index", "df_snapshot_format", "dir", "drop_log_memory",
    "enable_direct_fd", "enable_heartbeat_eviction", "enable_heartbeat_rss_eviction",
    "enable_memcache_io_loop_v2", "enable_multi_shard_sync", "enable_pipeline_squashing_v2",
    "enable_resp_io_loop_v2", "enable_top_keys_tracking", "epoll_file_threads",
    "eviction_memory_budget_threshold", "experimental_cluster_shard_by_slot",
    "experimental_flat_json", "experimental_io_loop_v2", "experimental_new_io", "expose_http_api",
    "fiber_safety_margin", "force_epoll", "huffman_table", "hz",
    "info_replication_valkey_compatible", "interpreter_per_thread", "jsonpathv2",
    "keys_output_limit", "latency_tracking", "list_compress_depth", "list_experimental_v2",
    "list_max_listpack_size", "list_rdb_encode_v2", "listpack_max_bytes", "listpack_max_field_len",
    "lock_on_hashtags", "locktag_delimiter", "locktag_prefix", "locktag_skip_n_end_delimiters",
    "log_backtrace_at", "log_dir", "log_file_header", "log_link", "log_prefix",
    "log_squash_info_threshold_usec", "log_utc_time", "log_year_in_prefix", "logbuflevel",
    "logbufsecs", "logcleansecs", "logemaillevel", "logfile_mode", "logmailer", "logtostderr",
    "logtostdout", "lua_allow_undeclared_auto_correct", "lua_auto_async", "lua_enable_redis_log",
    "lua_float_as_int_shas", "lua_force_atomicity_shas", "lua_mem_gc_threshold",
    "lua_resp2_legacy_float", "lua_undeclared_keys_shas", "luagc", "managed_service_info",
    "master_connect_timeout_ms", "master_reconnect_timeout_ms", "masterauth", "masteruser",
    "max_bulk_len", "max_busy_read_usec", "max_busy_squash_usec", "max_client_iobuf_len",
    "max_eviction_per_heartbeat", "max_log_size", "max_multi_bulk_len", "max_segment_to_consider",
    "max_squashed_cmd_num", "maxclients", "maxmemory", "mem_defrag_check_sec_interval",
    "mem_defrag_page_utilization_threshold", "mem_defrag_threshold", "mem_defrag_waste_threshold",
    "memcached_port", "migrate_connections", "migration_buckets_cpu_budget",
    "migration_buckets_serialization_threshold", "migration_buckets_sleep_usec",
    "migration_finalization_timeout_ms", "minloglevel", "multi_eval_squash_buffer",
    "multi_exec_mode", "multi_exec_squash", "no_tls_on_admin_port", "notify_keyspace_events",
    "num_shards", "omit_basic_usage", "oom_deny_commands", "oom_deny_ratio", "pidfile",
    "pipeline_buffer_limit", "pipeline_parse_in_proactor", "pipeline_prioritize_large_batches",
    "pipeline_queue_limit", "pipeline_squash", "pipeline_squash_limit", "pipeline_wait_batch_usec",
    "port", "primary_port_http_enabled", "proactor_affinity_mode", "proactor_cpu_list",
    "proactor_cpu_offset", "proactor_register_fd", "proactor_threads", "publish_buffer_limit",
    "pubsub_slow_subscriber_timeout_ms", "registered_buffer_size", "rename_command",
    "replica_announce_ip", "replica_delete_expired", "replica_partial_sync", "replica_priority",
    "replica_reconnect_on_master_restart", "replicaof", "replication_acks_interval",
    "replication_dispatch_threshold", "replication_stream_output_limit", "replication_timeout",
    "request_cache_limit", "requirepass", "restricted_commands", "rss_oom_deny_ratio",
    "s3_ec2_metadata", "s3_endpoint", "s3_sign_payload", "s3_use_https", "save_schedule",
    "scheduler_background_budget", "scheduler_background_sleep_prob",
    "scheduler_background_warrant", "search_query_string_bytes", "search_reject_legacy_field",
    "serialization_max_chunk_size", "serialize_hnsw_index", "shard_repl_backlog_len",
    "shard_round_robin_prefix", "shard_thread_busy_polling_usec",
    "slot_migration_connection_timeout_ms", "slowlog_log_slower_than", "slowlog_max_len",
    "snapshot_cron", "source_connect_timeout_ms", "spill_file_prefix",
    "squash_stats_latency_lower_limit", "squashed_reply_size_limit", "stderrthreshold",
    "stop_logging_if_full_disk", "stream_rdb_encode_v2", "subscriber_thread_limit",
    "subset_knn_search_threshold", "symbolize_stacktrace", "table_growth_margin", "tcp_backlog",
    "tcp_keepalive", "tcp_nodelay", "tcp_user_timeout", "tiered_defrag_scan_budget_us",
    "tiered_experimental_cooling", "tiered_experimental_hash_support",
    "tiered_experimental_list_support", "tiered_low_memory_factor", "tiered_max_file_size",
    "tiered_max_pending_defrags", "tiered_max_pending_stash_bytes", "tiered_min_ttl_to_offload_ms",
    "tiered_min_value_size", "tiered_offload_scan_budget_us", "tiered_offload_threshold",
    "tiered_prefix", "tiered_repack_acceptable_waste", "tiered_repack_max_reads",
    "tiered_repack_scan_budget_us", "tiered_storage_max_pending_writes",
    "tiered_storage_write_depth", "tiered_upload_threshold", "timeout",
    "timestamp_in_logfile_name", "tls", "tls_ca_cert_dir", "tls_ca_cert_file", "tls_cert_file",
    "tls_key_file", "tls_replication", "track_exec_frequencies", "tx_queue_warning_len",
    "unixsocket", "unixsocketperm", "unlink_experimental_async", "uring_recv_buffer_cnt",
    "use_set2", "use_zset_tree", "v", "version_check", "vmodule",
]

# What instance.py passes on every start (Dragonfly >= 1.26, the binary under test, 2 CPUs:
# --num_shards is the thread count minus one).
HARNESS_ARGS = [
    "--dbfilename=", "--noversion_check", "--maxmemory=8G",
    "--vmodule=dragonfly_connection=1,accept_server=1,listener_interface=1,main_service=1,"
    "rdb_save=1,replica=1,cluster_family=1,proactor_pool=1,dflycmd=1,snapshot=1,streamer=1",
    "--jsonpathv2", "--list_experimental_v2", "--log_dir={log_dir}",
    "--serialization_max_chunk_size=300000", "--fiber_safety_margin=4096", "--port=-1",
    "--num_shards=1", "--alsologtostderr",
]


class Started:
    """A Darner process started with an exact argument list; stderr goes to a file."""

    def __init__(self, args, workdir: Path):
        self.err_path = workdir / "stderr.log"
        self.err = open(self.err_path, "wb")
        self.proc = subprocess.Popen([str(DARNER_BIN)] + args, stdout=subprocess.DEVNULL,
                                     stderr=self.err, cwd=workdir)

    def stderr(self) -> str:
        return self.err_path.read_text(errors="replace")

    def wait_for(self, pattern: str, timeout: float = 10.0) -> re.Match:
        deadline = time.monotonic() + scaled(timeout)
        while time.monotonic() < deadline:
            m = re.search(pattern, self.stderr())
            if m:
                return m
            assert self.proc.poll() is None, f"exited {self.proc.returncode}:\n{self.stderr()}"
            time.sleep(0.02)
        raise AssertionError(f"no {pattern!r} in:\n{self.stderr()}")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        rc = self.proc.wait(timeout=scaled(10))
        self.err.close()
        assert rc == 0, f"exit status {rc}:\n{self.stderr()}"
        assert "Sanitizer" not in self.stderr(), self.stderr()


def ping(port: int):
    with RawClient("127.0.0.1", port, timeout=5) as c:
        assert c.cmd_raw("PING") == b"+PONG\r\n"
        assert c.cmd_raw("SET", "k", "v") == b"+OK\r\n"
        assert c.cmd_raw("GET", "k") == b"$1\r\nv\r\n"


def test_dragonfly_test_harness_command_line(tmp_path):
    log_dir = tmp_path / "logs"
    log_dir.mkdir()
    srv = Started([a.format(log_dir=log_dir) for a in HARNESS_ARGS], tmp_path)
    try:
        port = int(srv.wait_for(r"Picked free port (\d+)").group(1))
        ping(port)
    finally:
        srv.stop()
    err = srv.stderr()
    # One warning for each flag Darner cannot honour that is set to a non-default value.
    assert re.search(r"^W.*--fiber_safety_margin=4096: Dragonfly's flag .* no effect$", err, re.M)
    assert "--jsonpathv2" not in err  # set to its default: nothing to say
    # glog's files and links, the INFO file holding every line.
    names = sorted(p.name for p in log_dir.iterdir())
    assert "darner.INFO" in names and "darner.WARNING" in names, names
    info = [n for n in names if re.fullmatch(r"darner\.[^.]+\.[^.]+\.log\.INFO\.\d{8}-\d{6}\.\d+", n)]
    assert len(info) == 1, names
    assert os.readlink(log_dir / "darner.INFO") == info[0]
    text = (log_dir / "darner.INFO").read_text()
    assert text.startswith("Log file created at: ")
    assert re.search(r"^I\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ main\.cc:\d+\] Picked free port", text, re.M)
    assert "Shutdown complete" in text


def test_cluster_mgr_create_locally_command_lines(tmp_path):
    ports = [free_port() for _ in range(3)]
    nodes = []
    try:
        for p in ports:
            (tmp_path / f"n{p}").mkdir()
            nodes.append(Started([f"--port={p}", "--cluster_mode=yes", "--proactor_threads=2",
                                  "--dbfilename=", "--logtostderr", "--proactor_affinity_mode=off"],
                                 tmp_path / f"n{p}"))
        for node, p in zip(nodes, ports):
            node.wait_for(r"Listening on port %d" % p)
            with RawClient("127.0.0.1", p, timeout=5) as c:
                assert len(c.cmd_raw("CLUSTER", "MYID")) > 20
    finally:
        for node in nodes:
            node.stop()
    assert not list(tmp_path.glob("n*/*.INFO")), "--logtostderr writes no files"


def test_every_dragonfly_flag_is_accepted(tmp_path):
    helpfull = subprocess.run([str(DARNER_BIN), "--helpfull"], capture_output=True, text=True,
                              timeout=scaled(30)).stdout
    defaults = {}
    for m in re.finditer(r"^    --(\w+) \(", helpfull, re.M):  # one entry per flag
        d = re.compile(r";\s+default: (.*?);\n", re.S).search(helpfull, m.end())
        defaults[m.group(1)] = d.group(1)
    missing = [f for f in DRAGONFLY_FLAGS if f not in defaults]
    assert not missing, f"Dragonfly flags Darner does not define: {missing}"
    # Each one given explicitly (its default value), in a flag file as Dragonfly's Debian
    # package passes them: parsing accepts them all.
    flagfile = tmp_path / "dragonfly.conf"
    flagfile.write_text("".join(f"--{f}={defaults[f].strip(chr(34))}\n" for f in DRAGONFLY_FLAGS))
    r = subprocess.run([str(DARNER_BIN), f"--flagfile={flagfile}", "--only_check_args"],
                       capture_output=True, text=True, timeout=scaled(30))
    assert r.returncode == 0, r.stderr


def test_unsupported_flags_warn_once_each_and_change_nothing(tmp_path):
    port = free_port()
    srv = Started([f"--port={port}", "--proactor_threads=1", "--tcp_backlog=1024",
                   "--tiered_prefix=/nonexistent/tier", "--hz=50", "--lua_auto_async"], tmp_path)
    try:
        srv.wait_for(r"Listening on port %d" % port)
        ping(port)
    finally:
        srv.stop()
    err = srv.stderr()
    for flag in ("--tcp_backlog=1024", "--tiered_prefix=/nonexistent/tier", "--hz=50",
                 "--lua_auto_async=true"):
        assert len(re.findall(re.escape(flag) + r": Dragonfly's flag", err)) == 1, err


@pytest.mark.parametrize("args,message", [
    (["--no_such_flag=1"], "Unknown command line flag 'no_such_flag'"),
    (["--num_shards=abc"], "Illegal value 'abc' specified for flag 'num_shards'"),
    (["--proactor_affinity_mode=sometimes"], "--proactor_affinity_mode must be 'on', 'off' or 'auto'"),
])
def test_bad_flags_fail_at_start_with_a_clear_message(tmp_path, args, message):
    r = subprocess.run([str(DARNER_BIN), "--port=0"] + args, capture_output=True, text=True,
                       timeout=scaled(30), cwd=tmp_path)
    assert r.returncode == 1
    assert message in r.stderr, r.stderr


def test_num_shards_and_affinity(tmp_path):
    port = free_port()
    srv = Started([f"--port={port}", "--proactor_threads=2", "--num_shards=1",
                   "--proactor_affinity_mode=on"], tmp_path)
    try:
        srv.wait_for(r"Listening on port %d with 1 threads" % port)
        ping(port)
        # Pinned: each pool thread (named like the process) to one CPU.
        allowed = os.sched_getaffinity(srv.proc.pid)
        pinned = [os.sched_getaffinity(int(t)) for t in os.listdir(f"/proc/{srv.proc.pid}/task")
                  if len(os.sched_getaffinity(int(t))) == 1]
        assert pinned or len(allowed) == 1
    finally:
        srv.stop()


def test_config_get_dir_and_dbfilename(tmp_path):
    port = free_port()
    srv = Started([f"--port={port}", "--proactor_threads=1", f"--dir={tmp_path}",
                   "--dbfilename=snap"], tmp_path)
    try:
        srv.wait_for(r"Listening on port %d" % port)
        with RawClient("127.0.0.1", port, timeout=5) as c:
            assert c.cmd_raw("CONFIG", "GET", "dir") == b"*2\r\n$3\r\ndir\r\n$%d\r\n%s\r\n" % (
                len(str(tmp_path)), str(tmp_path).encode())
            assert c.cmd_raw("CONFIG", "GET", "dbfilename") == b"*2\r\n$10\r\ndbfilename\r\n$4\r\nsnap\r\n"
    finally:
        srv.stop()
