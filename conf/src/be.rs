//! Backend settings (`be.conf`).

use crate::config_struct;

config_struct! {
    /// Settings of one `starling-be` process.
    pub struct BeConfig {
        /// Port of the FE→BE task service (gRPC).
        be_port: u16 = 9060u16,
        /// Port of the BE's HTTP service (`POST /api/update_config`; 0 picks a free port).
        be_http_port: u16 = 8040u16,
        /// Address the BE listens on.
        listen_host: String = "127.0.0.1",
        /// Directory holding this BE's tablets (relative paths resolve against the data dir).
        storage_root_path: String = "storage",
        /// Log filter (error, warn, info, debug, trace or a tracing directive).
        sys_log_level: String = "info",
        /// Tablets uploaded at once by BACKUP on this BE (0 = eight per CPU core).
        upload_worker_count: u32 = 0u32,
        /// Byte-rate limit of all BACKUP uploads of this BE together (0 = unlimited).
        upload_rate_limit_bytes_per_second: u64 = 0u64,
        /// Tablets downloaded at once by RESTORE on this BE (0 = eight per CPU core).
        download_worker_count: u32 = 0u32,
        /// Byte-rate limit of all RESTORE downloads of this BE together (0 = unlimited).
        download_rate_limit_bytes_per_second: u64 = 0u64,
        /// Memory for decoded columns of tablet files kept for queries: bytes
        /// (`2147483648`, `2G`, `512M`, `64K`) or a share of physical memory (`20%`);
        /// 0 turns the cache off.
        storage_page_cache_limit: String = "20%",
        /// Seconds after its last change that an abandoned RESTORE staging directory is
        /// removed (0 = never).
        restore_staging_expire_seconds: u64 = 86400u64,
        /// Seconds a replica the FE found orphaned stays in `trash/` before it is
        /// deleted, so a catalog restored from an older copy loses nothing at once
        /// (StarRocks' key; 0 = keep forever).
        trash_file_expire_time_sec: u64 = 259200u64,
    }
}

impl BeConfig {
    /// Keys a BE adopts while it runs (`POST /api/update_config`, `UPDATE
    /// information_schema.be_configs`): running transfers take a new worker
    /// count or rate limit within a second.
    pub const MUTABLE: &'static [&'static str] = &[
        "upload_worker_count",
        "upload_rate_limit_bytes_per_second",
        "download_worker_count",
        "download_rate_limit_bytes_per_second",
    ];
}
