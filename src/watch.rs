//! `starling watch [JOB_ID]`: progress bars for running BACKUP and RESTORE
//! jobs, over the MySQL protocol (`SHOW JOBS`), until they end.
//!
//! One bar per job: bytes in place of bytes to move, the rate and ETA the
//! FE measures from the BEs' counters, and the state. When every watched
//! job has ended, one line per job goes to stdout. Exit status: 0 when all
//! FINISHED, 1 when one was CANCELLED, 2 when there was nothing to watch or
//! the FE could not be asked.

use std::collections::BTreeMap;
use std::time::Duration;

use clap::Args;
use indicatif::{MultiProgress, ProgressBar, ProgressStyle};
use mysql_async::prelude::Queryable;

/// How often SHOW JOBS is asked.
const POLL: Duration = Duration::from_millis(500);

/// Arguments of `starling watch`.
#[derive(Args, Debug, Clone)]
pub struct WatchArgs {
    /// The job to watch (SHOW JOBS' JobId); without one, every running job.
    pub job_id: Option<i64>,
    /// FE host.
    #[arg(long, short = 'H', default_value = "127.0.0.1")]
    pub host: String,
    /// FE MySQL port.
    #[arg(long, short = 'P', default_value_t = 9030)]
    pub port: u16,
    /// User (needs REPOSITORY on SYSTEM, as SHOW JOBS does).
    #[arg(long, short = 'u', default_value = "root")]
    pub user: String,
    /// Password; `MYSQL_PWD` is read when absent (a password on the command
    /// line is visible to other users of the machine).
    #[arg(long, short = 'p')]
    pub password: Option<String>,
}

/// One job's line of SHOW JOBS.
#[derive(Debug, Clone, PartialEq)]
struct JobLine {
    id: i64,
    kind: String,
    db: String,
    label: String,
    state: String,
    done: u64,
    total: u64,
    rate: Option<u64>,
    eta: Option<u64>,
    ended: bool,
    error: Option<String>,
}

impl JobLine {
    /// Jobs cancelled before they got an id share -1; the rest is unique.
    fn key(&self) -> (i64, String, String, String) {
        (self.id, self.kind.clone(), self.db.clone(), self.label.clone())
    }
}

async fn jobs(conn: &mut mysql_async::Conn) -> Result<Vec<JobLine>, String> {
    let rows: Vec<mysql_async::Row> = conn.query("SHOW JOBS").await.map_err(|e| e.to_string())?;
    rows.into_iter()
        .map(|row| line(&row).ok_or_else(|| "SHOW JOBS answered an unexpected row".to_string()))
        .collect()
}

fn line(row: &mysql_async::Row) -> Option<JobLine> {
    let text = |i: usize| -> Option<String> { row.get::<Option<String>, _>(i).flatten() };
    let number = |i: usize| -> Option<u64> { text(i).and_then(|t| t.parse().ok()) };
    Some(JobLine {
        id: text(0)?.parse().ok()?,
        kind: text(1)?,
        db: text(2)?,
        label: text(3)?,
        state: text(4)?,
        done: number(6)?,
        total: number(7)?,
        rate: number(9),
        eta: number(10),
        ended: text(12).is_some(),
        error: text(13),
    })
}

fn bar_for(multi: &MultiProgress, job: &JobLine) -> ProgressBar {
    let bar = multi.add(ProgressBar::new(job.total.max(1)));
    bar.set_style(
        ProgressStyle::with_template("{prefix:28} [{bar:30}] {bytes:>10}/{total_bytes:10} {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    bar.set_prefix(format!("{} {}.{}", job.kind, job.db, job.label));
    bar
}

fn show(bar: &ProgressBar, job: &JobLine) {
    bar.set_length(job.total.max(job.done).max(1));
    bar.set_position(job.done);
    let rate = job
        .rate
        .map_or_else(String::new, |r| format!("{}/s", indicatif::BinaryBytes(r)));
    let eta = job.eta.map_or_else(String::new, |s| format!("ETA {s}s"));
    bar.set_message(format!("{rate:>12} {eta:>10} {}", job.state));
}

/// Watches until every job chosen has ended; `Ok(true)` when all FINISHED.
pub async fn run(args: WatchArgs) -> Result<bool, String> {
    let opts = mysql_async::OptsBuilder::default()
        .ip_or_hostname(args.host.clone())
        .tcp_port(args.port)
        .user(Some(args.user.clone()))
        .pass(args.password.clone().or_else(|| std::env::var("MYSQL_PWD").ok()));
    let mut conn = mysql_async::Conn::new(opts)
        .await
        .map_err(|e| format!("cannot connect to {}:{}: {e}", args.host, args.port))?;
    let first = jobs(&mut conn).await?;
    let chosen: Vec<JobLine> = match args.job_id {
        Some(id) => {
            let job = first
                .iter()
                .rev()
                .find(|j| j.id == id)
                .cloned()
                .ok_or_else(|| format!("no job {id} in SHOW JOBS"))?;
            vec![job]
        }
        None => first.iter().filter(|j| !j.ended).cloned().collect(),
    };
    if chosen.is_empty() {
        return Err("no running job to watch".into());
    }
    let multi = MultiProgress::new();
    let mut watched: BTreeMap<_, (JobLine, ProgressBar)> = chosen
        .into_iter()
        .map(|j| {
            let bar = bar_for(&multi, &j);
            show(&bar, &j);
            (j.key(), (j, bar))
        })
        .collect();
    while watched.values().any(|(j, _)| !j.ended) {
        tokio::time::sleep(POLL).await;
        for now in jobs(&mut conn).await? {
            if let Some((job, bar)) = watched.get_mut(&now.key()) {
                show(bar, &now);
                if now.ended {
                    bar.finish();
                }
                *job = now;
            }
        }
    }
    let _ = conn.disconnect().await;
    let mut all_finished = true;
    for (job, _) in watched.values() {
        all_finished &= job.state == "FINISHED";
        let error = job.error.as_deref().map_or_else(String::new, |e| format!(" {e}"));
        println!(
            "{} {} {}.{} {} {} of {} bytes{error}",
            job.id, job.kind, job.db, job.label, job.state, job.done, job.total
        );
    }
    Ok(all_finished)
}
