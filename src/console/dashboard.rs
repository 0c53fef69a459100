//! `GET /admin`: what an operator looks at first: how many clients, users and live sessions,
//! the tokens this node issued per hour over the last day, and what happened lately, failures
//! first.

use super::{Console, chrome};
use crate::state::AppState;
use crate::ui::error::PageError;
use crate::ui::page;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use sesame_core::audit::{AuditEvent, AuditQuery};

async fn recent(state: &AppState, action: Option<&str>) -> Result<Vec<AuditEvent>, PageError> {
    let query = AuditQuery {
        action: action.map(str::to_owned),
        limit: 8,
        ..Default::default()
    };
    state
        .provider
        .store()
        .list_audit(&query)
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))
}

/// The chart's height in SVG units; a bar per hour, the busiest one full height.
const CHART_HEIGHT: u64 = 60;

/// The last day's hourly counts as bars: x, y and height in the chart's units, and the hour.
fn bars(hours: &[(i64, u64)]) -> Vec<minijinja::Value> {
    let busiest = hours.iter().map(|(_, n)| *n).max().unwrap_or(0).max(1);
    hours
        .iter()
        .enumerate()
        .map(|(i, (start, count))| {
            // A non-zero hour is at least one unit tall, so it never looks like none.
            let height = (count * CHART_HEIGHT).div_ceil(busiest);
            minijinja::context! {
                x => i * 10, y => CHART_HEIGHT - height, height, count,
                hour => crate::cli::output::time(*start).get(11..16).unwrap_or_default(),
            }
        })
        .collect()
}

pub async fn show(State(state): State<AppState>, console: Console) -> Result<Response, PageError> {
    let now = state.provider.now();
    let tally = state
        .provider
        .store()
        .tally(now)
        .await
        .map_err(|e| PageError::Unavailable(e.to_string()))?;
    let mut failures: Vec<AuditEvent> = [
        recent(&state, Some("login.failed")).await?,
        recent(&state, Some("mfa.failed")).await?,
        recent(&state, Some("token.refused")).await?,
    ]
    .concat();
    failures.sort_by_key(|e| std::cmp::Reverse(e.seq));
    failures.truncate(8);
    let changes = recent(&state, None).await?;
    let hours = state.issued.last_day(now);
    Ok(page(
        StatusCode::OK,
        "console_dashboard.html",
        minijinja::context! {
            clients => tally.clients, users => tally.users, sessions => tally.sessions,
            issued => hours.iter().map(|(_, n)| n).sum::<u64>(),
            bars => bars(&hours),
            since => hours.first().map(|(start, _)| crate::cli::output::time(*start)),
            failures => super::audit::rows(&state, &failures).await,
            changes => super::audit::rows(&state, &changes).await,
            ..chrome(&state, &console)
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_busiest_hour_is_full_height_and_a_quiet_one_still_shows() {
        let hours = [(0, 0), (3600, 1), (7200, 300)];
        let b = bars(&hours);
        let get = |i: usize, k: &str| b[i].get_attr(k).unwrap().as_i64().unwrap();
        assert_eq!((get(0, "height"), get(0, "y")), (0, 60));
        assert_eq!(get(1, "height"), 1);
        assert_eq!((get(2, "height"), get(2, "y"), get(2, "x")), (60, 0, 20));
        assert_eq!(b[1].get_attr("hour").unwrap().as_str(), Some("01:00"));
    }
}
