#include "app/dragonfly_flags.h"

#include <absl/flags/flag.h>
#include <absl/flags/reflection.h>

#include <cstdint>
#include <string>
#include <vector>

#include "base/byte_size.h"
#include "base/logging.h"

// Every flag of Dragonfly (its own, helio's) that Darner has no feature for, with Dragonfly's
// type and default: X(type, name, default, what it controls in Dragonfly). Flags whose feature
// Darner has are defined next to the code that reads them, with the same names; glog's are in
// base/logging.cc. docs/compatibility.md lists both kinds. Sizes take Darner's size syntax
// (which reads Dragonfly's), other custom types are read as strings.
#define DARNER_DRAGONFLY_ONLY_FLAGS(X)                                                             \
  X(std::string, aclfile, "", "path of ACL users file")                                            \
  X(uint32_t, acllog_max_len, 32, "ACL log entries kept per thread")                               \
  X(std::string, allocation_tracker, "", "size ranges min:max whose allocations get traced")       \
  X(bool, always_flush_pipeline, false, "flush replies after every squashed batch")                \
  X(uint32_t, async_dispatch_quota, 100, "async messages before yielding; 0 off")                  \
  X(bool, background_heartbeat, false, "run heartbeat in background fiber")                        \
  X(bool, backing_file_direct, true, "O_DIRECT for tiering files")                                 \
  X(bool, break_replication_on_master_restart, false, "stop replicating if master id changes")     \
  X(bool, cluster_search, false, "enable cross-shard search in cluster")                           \
  X(std::vector<std::string>, command_alias, {}, "command aliases alias=original")                 \
  X(int32_t, compression_level, 2, "zstd/lz4 level")                                               \
  X(std::string, compression_mode, "", "snapshot compression 0 none,1 lzf,2 zstd,3 lz4")           \
  X(uint32_t, conn_io_thread_start, 0, "first thread index for connections")                       \
  X(uint32_t, conn_io_threads, 0, "threads that own connections; 0 all")                           \
  X(bool, conn_use_incoming_cpu, false, "assign connection by socket RX cpu")                      \
  X(uint32_t, container_iteration_yield_interval_usec, 0,                                          \
    "yield interval of long container iterations (us)")                                            \
  X(std::string, default_lua_flags, "", "default script flags (undeclared keys, non-atomic)")      \
  X(bool, deserialize_hnsw_index, false, "load vector search indexes from snapshots")              \
  X(bool, df_snapshot_format, true, "save in Dragonfly snapshot format")                           \
  X(bool, enable_direct_fd, false, "register fds with io_uring")                                   \
  X(bool, enable_memcache_io_loop_v2, true, "event-driven IO loop for memcache")                   \
  X(bool, enable_multi_shard_sync, false, "older Dragonfly: sync multi-shard cmds on replica")     \
  X(bool, enable_pipeline_squashing_v2, true, "vectorized pipeline squashing in v2 loop")          \
  X(bool, enable_resp_io_loop_v2, false, "event-driven IO loop for RESP")                          \
  X(bool, enable_top_keys_tracking, false, "hot-key tracking debug feature")                       \
  X(int32_t, epoll_file_threads, 0, "file worker threads in epoll mode")                           \
  X(double, eviction_memory_budget_threshold, 0.1, "free-memory fraction starting eviction")       \
  X(bool, experimental_flat_json, false, "experimental flat JSON encoding")                        \
  X(bool, experimental_io_loop_v2, true, "retired")                                                \
  X(bool, experimental_new_io, true, "older Dragonfly: new reply path for pipelining")             \
  X(bool, expose_http_api, false, "enable POST /api JSON command endpoint")                        \
  X(uint32_t, fiber_safety_margin, 0, "stack margin checked at fiber exit; 0 off")                 \
  X(bool, force_epoll, false, "use epoll engine instead of io_uring")                              \
  X(std::string, huffman_table, "", "huffman tables per domain KEYS/STRINGS")                      \
  X(int32_t, hz, 100, "background task frequency")                                                 \
  X(bool, info_replication_valkey_compatible, true, "valkey-style INFO replication fields")        \
  X(uint32_t, interpreter_per_thread, 10, "Lua interpreters per thread")                           \
  X(bool, jsonpathv2, true, "use Dragonfly jsonpath engine")                                       \
  X(uint32_t, keys_output_limit, 8192, "max keys returned by KEYS")                                \
  X(int32_t, list_compress_depth, 0, "uncompressed nodes per end; 0 no compression")               \
  X(bool, list_experimental_v2, true, "use Dragonfly QList list encoding")                         \
  X(int32_t, list_max_listpack_size, -2, "list node size limit (neg=bytes class)")                 \
  X(bool, list_rdb_encode_v2, true,                                                                \
    "save lists in redis7 listpack format (slated for retirement)")                                \
  X(uint64_t, listpack_max_bytes, 1024, "max listpack hash bytes before hashtable")                \
  X(uint64_t, listpack_max_field_len, 64, "max field/value length kept in listpack")               \
  X(bool, lock_on_hashtags, false, "lock per hashtag instead of per key")                          \
  X(std::string, locktag_delimiter, "", "single-char delimiter for lock tags")                     \
  X(std::string, locktag_prefix, "", "only keys with prefix use lock tags")                        \
  X(uint32_t, locktag_skip_n_end_delimiters, 0, "closing delimiters skipped in lock tag")          \
  X(uint32_t, log_squash_info_threshold_usec, 1u << 31, "log squash timings above this (us)")      \
  X(int32_t, logcleansecs, 300, "interval for cleaning old logs")                                  \
  X(bool, lua_allow_undeclared_auto_correct, false, "auto-flag scripts touching undeclared keys")  \
  X(bool, lua_auto_async, false, "turn discarded call/pcall into async variants")                  \
  X(bool, lua_enable_redis_log, false, "make redis.log emit")                                      \
  X(std::string, lua_float_as_int_shas, "", "per-SHA float-as-int Lua replies")                    \
  X(std::string, lua_force_atomicity_shas, "", "force atomic for listed SHAs")                     \
  X(std::string, lua_mem_gc_threshold, "", "per-thread Lua bytes forcing GC")                      \
  X(bool, lua_resp2_legacy_float, false, "Lua floats returned as truncated ints on RESP2")         \
  X(std::vector<std::string>, lua_undeclared_keys_shas, {}, "script SHAs allowed undeclared keys") \
  X(std::string, luagc, "", "Lua GC tuning spec")                                                  \
  X(int32_t, master_connect_timeout_ms, 20000, "connect timeout to master (ms)")                   \
  X(int32_t, master_reconnect_timeout_ms, 1000, "reconnect timeout to master (ms)")                \
  X(uint64_t, max_bulk_len, 2ull << 30, "max RESP bulk string length")                             \
  X(uint32_t, max_busy_read_usec, 200, "max read/parse time before yielding (us)")                 \
  X(uint32_t, max_busy_squash_usec, 1000, "max squashed execution before yield (us)")              \
  X(darner::ByteSize, max_client_iobuf_len, {1ull << 16}, "max per-connection read buffer")        \
  X(uint32_t, max_eviction_per_heartbeat, 100, "max keys evicted per heartbeat")                   \
  X(uint32_t, max_multi_bulk_len, 1u << 16, "max RESP array length")                               \
  X(uint32_t, max_segment_to_consider, 4, "segments scanned per heartbeat eviction")               \
  X(uint32_t, max_squashed_cmd_num, 100, "max commands squashed per shard")                        \
  X(uint64_t, MAXSEARCHRESULTS, 1000000, "cap on FT.SEARCH results")                               \
  X(uint32_t, mem_defrag_check_sec_interval, 60, "seconds between defrag checks")                  \
  X(double, mem_defrag_page_utilization_threshold, 0.8, "page usage below which pages are moved")  \
  X(double, mem_defrag_threshold, 0.7, "used/maxmemory ratio before defrag runs")                  \
  X(double, mem_defrag_waste_threshold, 0.2, "wasted/committed ratio triggering defrag")           \
  X(uint32_t, memcached_port, 0, "memcached protocol port; 0 disabled")                            \
  X(bool, migrate_connections, true, "move connections to thread they use")                        \
  X(uint32_t, multi_eval_squash_buffer, 4096, "squash buffer size per script")                     \
  X(uint32_t, multi_exec_mode, 2, "retired")                                                       \
  X(bool, multi_exec_squash, true, "squash single-shard commands inside MULTI/EXEC")               \
  X(bool, no_tls_on_admin_port, false, "allow plaintext on the admin port")                        \
  X(std::string, notify_keyspace_events, "", "keyspace notifications; only 'Ex' accepted")         \
  X(bool, omit_basic_usage, false, "omit the basic usage text from --help")                        \
  X(std::vector<std::string>, oom_deny_commands, {}, "extra commands treated as denyoom")          \
  X(double, oom_deny_ratio, 1.1, "retired")                                                        \
  X(std::string, pidfile, "", "write process id to this file")                                     \
  X(darner::ByteSize, pipeline_buffer_limit, {128ull << 20}, "per-thread pipeline buffer memory")  \
  X(bool, pipeline_parse_in_proactor, true, "v2 loop: parse input in proactor callback")           \
  X(bool, pipeline_prioritize_large_batches, true, "v2 loop: accumulate larger batches")           \
  X(uint32_t, pipeline_queue_limit, 10000, "pipeline queue length that pauses reading")            \
  X(uint32_t, pipeline_squash, 1, "pipeline depth enabling squashing; 0 off")                      \
  X(uint32_t, pipeline_squash_limit, 1 << 30, "max size of one squashed pipeline")                 \
  X(uint32_t, pipeline_wait_batch_usec, 0, "wait for more input if one cmd queued (us)")           \
  X(bool, primary_port_http_enabled, true, "serve HTTP console on main port")                      \
  X(std::string, proactor_cpu_list, "", "explicit cpu list/ranges for threads")                    \
  X(uint32_t, proactor_cpu_offset, 0, "rotate default cpu assignment")                             \
  X(bool, proactor_register_fd, false, "older helio only; former name of enable_direct_fd")        \
  X(darner::ByteSize, publish_buffer_limit, {196ull << 20}, "per-thread pubsub soft memory limit") \
  X(uint32_t, pubsub_slow_subscriber_timeout_ms, 0,                                                \
    "close stuck subscribers after ms; 0 off (2026)")                                              \
  X(uint64_t, registered_buffer_size, 512ull << 10, "io_uring registered buffer size")             \
  X(std::vector<std::string>, rename_command, {}, "rename commands, old=new list")                 \
  X(std::string, replica_announce_ip, "", "IP replica reports to master")                          \
  X(bool, replica_delete_expired, true, "replicas delete keys that expired")                       \
  X(bool, replica_partial_sync, true, "attempt partial sync on reconnect")                         \
  X(int32_t, replica_priority, 100, "priority reported for sentinel failover")                     \
  X(bool, replica_reconnect_on_master_restart, false,                                              \
    "deprecated alias; removed in newer versions")                                                 \
  X(std::string, replicaof, "", "host:port of master to replicate at start")                       \
  X(int32_t, replication_acks_interval, 1000, "ms between replica ACKs")                           \
  X(uint32_t, replication_dispatch_threshold, 1500, "bytes aggregated before replication send")    \
  X(darner::ByteSize, request_cache_limit, {64ull << 20}, "per-thread request cache memory")       \
  X(double, rss_oom_deny_ratio, 1.25, "RSS/maxmemory ratio rejecting denyoom cmds; <0 off")        \
  X(bool, s3_ec2_metadata, false, "load AWS credentials from EC2 metadata")                        \
  X(std::string, s3_endpoint, "", "custom S3 endpoint for snapshots")                              \
  X(bool, s3_sign_payload, true, "sign S3 upload payloads")                                        \
  X(bool, s3_use_https, true, "use https for S3 endpoint")                                         \
  X(std::string, save_schedule, "", "deprecated HH:MM snapshot schedule; now errors out")          \
  X(uint32_t, scheduler_background_budget, 50000, "background fiber budget in ns")                 \
  X(uint32_t, scheduler_background_sleep_prob, 50, "background fiber sleep probability at budget") \
  X(uint32_t, scheduler_background_warrant, 5, "guaranteed cpu percent for background fibers")     \
  X(uint64_t, search_query_string_bytes, 10240, "max search query length (bytes)")                 \
  X(bool, search_reject_legacy_field, true, "FT.AGGREGATE rejects fields without @")               \
  X(bool, serialize_hnsw_index, false, "save vector search indexes in snapshots")                  \
  X(uint32_t, shard_repl_backlog_len, 1 << 10, "per-shard replication backlog length")             \
  X(std::string, shard_round_robin_prefix, "", "deprecated: key prefix spread round-robin")        \
  X(uint32_t, shard_thread_busy_polling_usec, 0, "override busy-poll time of shard threads")       \
  X(std::string, snapshot_cron, "", "cron expression for periodic snapshots")                      \
  X(int32_t, source_connect_timeout_ms, 20000, "older Dragonfly: connect timeout to source node")  \
  X(std::string, spill_file_prefix, "", "older Dragonfly: former name of tiered_prefix")           \
  X(uint32_t, squash_stats_latency_lower_limit, 0, "retired")                                      \
  X(uint64_t, squashed_reply_size_limit, 0, "reply bytes cap while squashing; 0 none")             \
  X(bool, stream_rdb_encode_v2, false, "save streams in redis7.2 format")                          \
  X(uint64_t, subscriber_thread_limit, 1ULL << 27,                                                 \
    "older Dragonfly: predecessor of publish_buffer_limit")                                        \
  X(uint64_t, subset_knn_search_threshold, 8192, "prefilter size for exact KNN")                   \
  X(double, table_growth_margin, 0.4, "safety ratio gating table growth")                          \
  X(uint32_t, tcp_backlog, 256, "listen(2) backlog size")                                          \
  X(uint32_t, tcp_keepalive, 300, "TCP keepalive idle time in seconds")                            \
  X(bool, tcp_nodelay, true, "set TCP_NODELAY on client sockets")                                  \
  X(uint32_t, tcp_user_timeout, 0, "TCP_USER_TIMEOUT in ms; 0 OS default")                         \
  X(uint32_t, tiered_defrag_scan_budget_us, 2, "cpu slice per tiering defrag scan; 0 off")         \
  X(bool, tiered_experimental_cooling, true, "keep offloaded values in cool layer")                \
  X(bool, tiered_experimental_hash_support, false, "experimental hash offloading")                 \
  X(bool, tiered_experimental_list_support, false, "experimental list node offloading")            \
  X(double, tiered_low_memory_factor, 0.1, "older Dragonfly: per-shard low-memory watermark")      \
  X(darner::ByteSize, tiered_max_file_size, {}, "max tiering file size; 0 auto")                   \
  X(uint32_t, tiered_max_pending_defrags, 50, "concurrent tiering defrag reads")                   \
  X(darner::ByteSize, tiered_max_pending_stash_bytes, {256ull << 10},                              \
    "in-flight stash bytes before backpressure")                                                   \
  X(uint32_t, tiered_min_ttl_to_offload_ms, 5000, "min remaining TTL for offload (ms)")            \
  X(uint32_t, tiered_min_value_size, 64, "smallest value eligible for offload (min 64)")           \
  X(uint32_t, tiered_offload_scan_budget_us, 100, "cpu slice per offload scan; 0 off")             \
  X(double, tiered_offload_threshold, 0.5, "free-memory ratio starting offload")                   \
  X(std::string, tiered_prefix, "", "path prefix for tiering files; enables tiering")              \
  X(uint32_t, tiered_repack_acceptable_waste, 2, "extra pages tolerated before repack")            \
  X(uint32_t, tiered_repack_max_reads, 10, "concurrent page reads per repack scan")                \
  X(uint32_t, tiered_repack_scan_budget_us, 0, "cpu slice per repack scan; 0 off")                 \
  X(std::string, tiered_storage_max_pending_writes, "",                                            \
    "older Dragonfly: pending writes per thread")                                                  \
  X(uint32_t, tiered_storage_write_depth, 200, "max concurrent tiering stashes")                   \
  X(double, tiered_upload_threshold, 0.1, "free-memory ratio stopping upload")                     \
  X(uint32_t, timeout, 0, "close idle connections after N sec; 0 off")                             \
  X(bool, tls, false, "enable TLS on client listeners")                                            \
  X(std::string, tls_ca_cert_dir, "", "CA directory (c_rehash layout)")                            \
  X(std::string, tls_ca_cert_file, "", "CA file to verify client certificates")                    \
  X(std::string, tls_cert_file, "", "TLS certificate chain file")                                  \
  X(std::string, tls_key_file, "", "TLS private key file")                                         \
  X(bool, tls_replication, false, "use TLS to connect to master")                                  \
  X(bool, track_exec_frequencies, true, "retired")                                                 \
  X(uint32_t, tx_queue_warning_len, 96, "tx queue length that triggers a warning")                 \
  X(std::string, unixsocket, "", "unix domain socket path to listen on")                           \
  X(std::string, unixsocketperm, "", "octal permission bits for unix socket")                      \
  X(bool, unlink_experimental_async, true, "run UNLINK asynchronously")                            \
  X(uint32_t, uring_recv_buffer_cnt, 0, "per-thread io_uring receive buffers")                     \
  X(bool, use_set2, true, "older Dragonfly: DenseSet-based sets")                                  \
  X(bool, use_zset_tree, true, "older Dragonfly: b+tree zsets")                                    \
  X(bool, version_check, true, "daily check for newer releases")

#define DARNER_DEFINE_FLAG(type, name, def, what) \
  ABSL_FLAG(type, name, def, "Dragonfly: " what ". Accepted; no effect in Darner");
DARNER_DRAGONFLY_ONLY_FLAGS(DARNER_DEFINE_FLAG)
#undef DARNER_DEFINE_FLAG

namespace darner {
namespace {

struct UnsupportedFlag {
  const char* name;
  const char* what;
};

#define DARNER_FLAG_ENTRY(type, name, def, what) {#name, what},
constexpr UnsupportedFlag kUnsupported[] = {DARNER_DRAGONFLY_ONLY_FLAGS(DARNER_FLAG_ENTRY)};
#undef DARNER_FLAG_ENTRY

}  // namespace

void WarnAboutUnsupportedFlags() {
  for (const UnsupportedFlag& f : kUnsupported) {
    const absl::CommandLineFlag* flag = absl::FindCommandLineFlag(f.name);
    if (flag == nullptr || flag->CurrentValue() == flag->DefaultValue()) continue;
    LOG(WARNING) << "--" << f.name << "=" << flag->CurrentValue() << ": Dragonfly's flag ("
                 << f.what << ") is accepted, but Darner does not implement it; it has no effect";
  }
}

}  // namespace darner
