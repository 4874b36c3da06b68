//! What a server stored for agent "ana", read back through the API, and the check that every
//! event it acknowledged is there once, with seqs 1..n.

use std::collections::HashSet;

use herald_protocol::InboxPage;

use super::sign_in;

/// `(seq, event id)` of every item of ana's inbox.
pub async fn stored_ids(url: &str) -> Vec<(u64, String)> {
    stored_items(url)
        .await
        .iter()
        .map(|n| (n.seq, n.event_id.clone()))
        .collect()
}

/// Every item of ana's inbox, bell and hidden.
pub async fn stored_items(url: &str) -> Vec<herald_protocol::Notification> {
    let http = reqwest::Client::new();
    let token = sign_in(&http, url, "ana").await;
    let mut out = Vec::new();
    let mut before = None::<u64>;
    loop {
        let mut request = http
            .get(format!("{url}/api/v1/inbox?all=true&limit=200"))
            .bearer_auth(&token);
        if let Some(b) = before {
            request = request.query(&[("before", b)]);
        }
        let page: InboxPage = request.send().await.unwrap().json().await.unwrap();
        out.extend(page.items);
        match page.next_before {
            Some(b) => before = Some(b),
            None => return out,
        }
    }
}

/// Every acknowledged event is stored, none twice, and the seqs are 1..n without holes.
pub fn check_nothing_acknowledged_lost(acked: &[String], stored: &[(u64, String)]) {
    let ids: HashSet<&String> = stored.iter().map(|s| &s.1).collect();
    assert_eq!(ids.len(), stored.len(), "no event stored twice");
    let lost: Vec<&String> = acked.iter().filter(|id| !ids.contains(id)).collect();
    assert!(
        lost.is_empty(),
        "{} acknowledged events lost, e.g. {:?}",
        lost.len(),
        lost.first()
    );
    let mut seqs: Vec<u64> = stored.iter().map(|s| s.0).collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=stored.len() as u64).collect::<Vec<_>>(),
        "seqs are 1..n without holes"
    );
}
