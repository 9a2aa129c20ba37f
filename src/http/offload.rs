//! Imports run off the async workers, on a bounded number of blocking threads.
//!
//! Decoding and mapping a document is CPU work of up to seconds (and decoding waits on a
//! thread of its own, see `spec::decode`). Done inside a handler it would hold one of the
//! runtime's few workers, and a few large imports at once would stall every other request,
//! list and show included. So an import runs on tokio's blocking pool, driving its store
//! calls with `Handle::block_on` there; at most one import per CPU runs at a time (more
//! would only share the same cores), and the others wait for a permit without holding a
//! thread. The whole import is moved rather than only its decoding because the import
//! module owns the order of its steps (instance check, decode, plan, writes).

use crate::config::Limits;
use crate::error::ApigError;
use crate::import::{Checks, ImportRequest, ImportResponse, PlannedImport, Writer};
use crate::store::Store;
use std::sync::{Arc, OnceLock};
use tokio::sync::Semaphore;

/// One permit per CPU, process-wide (the CPUs are).
fn permits() -> Arc<Semaphore> {
    static PERMITS: OnceLock<Arc<Semaphore>> = OnceLock::new();
    Arc::clone(PERMITS.get_or_init(|| Arc::new(Semaphore::new(pool_size()))))
}

/// How many imports run at once: the CPUs available to the process.
pub fn pool_size() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// What to do with an import request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    /// The import, with these checks.
    Import(Checks),
    /// Its plan (`dry_run=true`): nothing is written.
    Plan(Checks),
}

/// What a [`Job`] gives.
#[derive(Debug)]
pub enum Done {
    Imported(ImportResponse),
    Planned(Box<PlannedImport>),
}

/// Run an import on the blocking pool, waiting for a permit first. The import completes
/// even if the client goes away meanwhile (it is never cut between two writes).
pub async fn run_import(
    store: Arc<dyn Store>,
    limits: Limits,
    request: ImportRequest,
) -> Result<ImportResponse, ApigError> {
    match run_job(store, limits, request, Job::Import(Checks::default())).await? {
        Done::Imported(response) => Ok(response),
        Done::Planned(_) => Err(ApigError::internal()),
    }
}

/// [`run_import`] for any [`Job`] (a plan is the same CPU work: it decodes the document).
pub async fn run_job(
    store: Arc<dyn Store>,
    limits: Limits,
    request: ImportRequest,
    job: Job,
) -> Result<Done, ApigError> {
    let permit = permits()
        .acquire_owned()
        .await
        .map_err(|_| ApigError::internal())?;
    let runtime = tokio::runtime::Handle::current();
    // Logs of the import go where the request's go (tests and Lambda set a subscriber for
    // the current thread only), inside the request's span.
    let dispatch = tracing::dispatcher::get_default(Clone::clone);
    let span = tracing::Span::current();
    let task = tokio::task::spawn_blocking(move || {
        let _permit = permit;
        tracing::dispatcher::with_default(&dispatch, || {
            span.in_scope(|| {
                runtime.block_on(async {
                    match job {
                        Job::Import(checks) => crate::import::run_checked(
                            &*store,
                            &limits,
                            request,
                            &Writer::once(),
                            checks,
                        )
                        .await
                        .map(Done::Imported),
                        Job::Plan(checks) => crate::import::plan(&*store, &limits, request, checks)
                            .await
                            .map(|plan| Done::Planned(Box::new(plan))),
                    }
                })
            })
        })
    });
    match task.await {
        Ok(result) => result,
        Err(error) => {
            tracing::error!(target: "apig_import::http", error = %error, "import task failed");
            Err(ApigError::internal())
        }
    }
}
