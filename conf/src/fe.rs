//! Frontend settings (`fe.conf`).

use crate::config_struct;

config_struct! {
    /// Settings of one `starling-fe` process.
    pub struct FeConfig {
        /// Directory of the RocksDB catalog (relative paths resolve against the data dir).
        meta_dir: String = "meta",
        /// MySQL protocol port.
        query_port: u16 = 9030u16,
        /// HTTP port (health, Stream Load).
        http_port: u16 = 8030u16,
        /// Address the FE listens on.
        listen_host: String = "127.0.0.1",
        /// Maximum concurrent MySQL connections.
        qe_max_connection: u32 = 4096u32,
        /// Milliseconds between heartbeats to each BE.
        heartbeat_interval_ms: u64 = 1000u64,
        /// Seconds without a successful heartbeat after which a BE is not alive.
        heartbeat_timeout_second: u64 = 5u64,
        /// Seconds to wait for BEs to create the tablets of a new table.
        tablet_create_timeout_second: u64 = 10u64,
        /// Replicas per tablet when a table does not say.
        default_replication_num: u32 = 3u32,
        /// Version reported to clients by `SELECT VERSION()` and the handshake.
        mysql_server_version: String = "8.0.33",
        /// Default timeout of BACKUP and RESTORE jobs, in milliseconds.
        backup_job_default_timeout_ms: u64 = 86_400_000u64,
        /// UPLOAD tasks per BE for one backup (0 = one task per tablet); a BE
        /// runs the tablets of a task on its upload workers and, into a `file://`
        /// repository, syncs them once per task.
        max_upload_task_per_be: u32 = 1u32,
        /// DOWNLOAD (and MOVE) tasks per BE for one restore, at least 1; a BE runs the
        /// tablets of a task on its download workers and syncs them once per task.
        max_download_task_per_be: u32 = 1u32,
        /// Test-only: milliseconds a job's `timeout` second lasts (1000 in production).
        debug_timeout_millis_per_second: u64 = 1000u64,
        /// Test-only: milliseconds a BACKUP or RESTORE job waits at the start of each state (0 in production).
        debug_job_step_delay_ms: u64 = 0u64,
        /// Times a failed BE task of a backup or restore is retried before the job is cancelled.
        backup_task_retry_limit: u32 = 3u32,
        /// Seconds a new MySQL connection has to log in before it is closed
        /// (MySQL's `connect_timeout`).
        connect_timeout_second: u64 = 10u64,
        /// Connections logging in at once, at most; more wait up to 2 s for a
        /// place, then are refused with error 1040, and at most four times as many
        /// may be connected without having logged in: idle sockets cannot lock
        /// clients out.
        max_unauthenticated_connections: u32 = 256u32,
        /// Logins of `root` accepted beyond `qe_max_connection`, so an
        /// administrator can always get in.
        admin_reserved_connections: u32 = 4u32,
        /// Consecutive failed logins (MySQL or HTTP) of one user from one host
        /// after which that user is locked out from that host (0: never).
        failed_login_attempts: u32 = 5u32,
        /// Seconds such a lockout lasts.
        password_lock_time_second: u64 = 60u64,
        /// Directories `file://` repositories must lie in, separated by commas
        /// (empty: anywhere the FE and BE processes may write).
        file_repository_roots: String = "",
        /// Seconds between checks of every BE for replicas of tablets the catalog
        /// does not know (0: never); such orphans go to the BE's trash.
        orphan_tablet_check_interval_second: u64 = 300u64,
        /// Seconds a replica must exist before it may count as an orphan.
        orphan_tablet_grace_second: u64 = 600u64,
        /// Seconds an ended BACKUP or RESTORE job stays listed in SHOW JOBS
        /// (each database's last job stays in SHOW BACKUP / SHOW RESTORE regardless).
        job_history_keep_seconds: u64 = 604_800u64,
        /// Log filter (error, warn, info, debug, trace or a tracing directive).
        sys_log_level: String = "info",
    }
}

impl FeConfig {
    /// Keys `ADMIN SET FRONTEND CONFIG` may change while the FE runs; a job
    /// reads them at each use, so a running BACKUP or RESTORE adopts a new
    /// value at its next task.
    pub const MUTABLE: &'static [&'static str] = &[
        "backup_job_default_timeout_ms",
        "max_upload_task_per_be",
        "max_download_task_per_be",
        "backup_task_retry_limit",
        "debug_job_step_delay_ms",
        "job_history_keep_seconds",
        "tablet_create_timeout_second",
        "default_replication_num",
    ];
}
