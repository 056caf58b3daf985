//! The owner's button presses, by family: the pairing message's, the
//! language chooser's, the logout confirmation's, the dashboard's, the
//! groups list's and the bulk jobs'. Each press is answered once its
//! action is done, with a notice when the button means nothing now.

use std::sync::Arc;

use crds::Language;
use teloxide::dispatching::UpdateFilterExt;
use teloxide::dptree;
use teloxide::types::{CallbackQuery, Update};

use super::{Schema, Shared};
use crate::protocol::callback::{Groups, Job, Menu, Pair, Tenant};
use crate::tenant::runtime::Runtime;

/// The branch of button presses.
pub(super) fn schema() -> Schema {
    Update::filter_callback_query()
        .branch(
            dptree::filter_map(|query: CallbackQuery| {
                query.data.as_deref()?.parse::<Tenant>().ok()
            })
            .branch(
                dptree::case![Tenant::Pair(button)]
                    .branch(dptree::case![Pair::Cancel].endpoint(cancel_pairing))
                    .branch(dptree::case![Pair::Retry].endpoint(retry_pairing)),
            )
            .branch(dptree::case![Tenant::Language(picked)].endpoint(language_picked))
            .branch(
                dptree::filter(|button: Tenant| button == Tenant::Logout { confirmed: true })
                    .endpoint(log_out),
            )
            .branch(
                dptree::filter(|button: Tenant| button == Tenant::Logout { confirmed: false })
                    .endpoint(stay),
            )
            .branch(
                dptree::case![Tenant::Menu(button)]
                    .branch(dptree::case![Menu::Groups].endpoint(groups))
                    .branch(dptree::case![Menu::Activity].endpoint(activity))
                    .branch(dptree::case![Menu::Language].endpoint(languages))
                    .branch(dptree::case![Menu::Help].endpoint(help))
                    .branch(dptree::case![Menu::Logout].endpoint(logout)),
            )
            .branch(dptree::case![Tenant::Groups(button)].endpoint(groups_button))
            .branch(dptree::case![Tenant::Job(button)].endpoint(job_button)),
        )
        // Data the tenant does not know, and the dashboard's accounts
        // button, which the front door answers.
        .endpoint(stale)
}

/// The message the pressed button is on.
fn message(query: &CallbackQuery) -> Option<i32> {
    query.message.as_ref().map(|m| m.id().0)
}

async fn stale(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery) {
    let notice = runtime.text(&*state.lock().await, "stale-button", &[]);
    runtime.answer(&query, Some(notice)).await;
}

async fn cancel_pairing(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery) {
    let state = state.lock().await;
    let notice = match &state.pairing {
        Some(active) => {
            active.cancel();
            None
        }
        None => Some(runtime.text(&state, "stale-button", &[])),
    };
    runtime.answer(&query, notice).await;
}

async fn retry_pairing(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery) {
    let mut state = state.lock().await;
    // Retry is offered once a pairing ended; one that is still finishing
    // (its last message sent, its task not yet done) is stopped and
    // awaited rather than raced, so the press is never lost.
    if let Some(active) = state.pairing.take() {
        active.cancel();
        runtime.ended(active.task.await);
    }
    runtime.start_pairing(&mut state).await;
    runtime.answer(&query, None).await;
}

async fn language_picked(
    runtime: Arc<Runtime>,
    state: Shared,
    query: CallbackQuery,
    picked: Language,
) {
    let mut state = state.lock().await;
    if let Err(error) = runtime.store.set_language(picked).await {
        tracing::warn!(error = %crds::naming::why(&error), "cannot save the language");
    }
    state.language = picked;
    let text = runtime.text(&state, "lang-set", &[]);
    runtime.replace(message(&query), text).await;
    runtime.answer(&query, None).await;
}

async fn log_out(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery) {
    let mut state = state.lock().await;
    runtime.log_out(&mut state, message(&query)).await;
    runtime.answer(&query, None).await;
}

async fn stay(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery) {
    let mut state = state.lock().await;
    runtime.keep_logged_in(&mut state, message(&query)).await;
    runtime.answer(&query, None).await;
}

async fn groups(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery) {
    let state = state.lock().await;
    runtime.groups_page(&state, message(&query), 0).await;
    runtime.answer(&query, None).await;
}

async fn activity(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery) {
    runtime.activity(&*state.lock().await).await;
    runtime.answer(&query, None).await;
}

async fn languages(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery) {
    runtime.choose_language(&*state.lock().await).await;
    runtime.answer(&query, None).await;
}

async fn help(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery) {
    runtime.help(&*state.lock().await).await;
    runtime.answer(&query, None).await;
}

async fn logout(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery) {
    runtime.confirm_logout(&mut *state.lock().await).await;
    runtime.answer(&query, None).await;
}

async fn groups_button(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery, button: Groups) {
    let mut state = state.lock().await;
    runtime
        .on_groups_button(button, &mut state, message(&query))
        .await;
    runtime.answer(&query, None).await;
}

async fn job_button(runtime: Arc<Runtime>, state: Shared, query: CallbackQuery, button: Job) {
    let mut state = state.lock().await;
    let done = runtime
        .on_bulk_button(button, &mut state, message(&query))
        .await;
    let notice = (!done).then(|| runtime.text(&state, "stale-button", &[]));
    runtime.answer(&query, notice).await;
}
