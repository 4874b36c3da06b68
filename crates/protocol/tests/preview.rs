//! The preview of the rules agrees with `decide` in every cell, and a change of the
//! preferences shows in it before any notification.

#![allow(clippy::unwrap_used)]

use herald_protocol::*;

#[test]
fn every_cell_is_what_decide_says() {
    let mut variants = vec![Preferences::default()];
    let mut p = Preferences {
        mentions_always_alert: false,
        ..Preferences::default()
    };
    p.quiet_hours.break_through.assignments = false;
    p.email.mode = EmailMode::Summary;
    p.push_scope = PushScope::All;
    variants.push(p);
    let mut p = Preferences::default();
    p.events.reply = ChannelSet {
        dashboard: false,
        email: true,
        push: false,
    };
    p.sound.enabled = false;
    variants.push(p);
    for prefs in &variants {
        let preview = preview(prefs);
        assert_eq!(preview.rows.len(), preview_kinds().len());
        for row in &preview.rows {
            assert_eq!(row.cells.len(), Situation::ALL.len());
            for cell in &row.cells {
                let (ctx, moment_prefs, now) = cell_inputs(&row.kind, cell.situation, prefs);
                let d = decide(&row.kind, &ctx, &moment_prefs, now);
                assert_eq!(
                    (cell.dashboard, cell.email, cell.push, cell.sound),
                    (
                        d.dashboard.outcome,
                        d.email.outcome,
                        d.push.outcome,
                        d.sound.outcome
                    ),
                    "{} / {:?}",
                    row.kind,
                    cell.situation
                );
            }
        }
    }
}

#[test]
fn the_situations_mean_what_they_say() {
    let preview = preview(&Preferences::default());
    let cell = |kind: &str, situation: Situation| {
        *preview
            .rows
            .iter()
            .find(|r| r.kind.as_str() == kind)
            .and_then(|r| r.cells.iter().find(|c| c.situation == situation))
            .expect("a cell")
    };
    // Defaults: assignments everywhere, and they break through quiet hours.
    let working = cell("assignment", Situation::Working);
    assert_eq!(
        (working.dashboard, working.email, working.push),
        (Outcome::Deliver, Outcome::Deliver, Outcome::Deliver)
    );
    assert_eq!(
        cell("assignment", Situation::AppInFront).push,
        Outcome::Suppress,
        "the window shows it"
    );
    assert_eq!(
        cell("assignment", Situation::QuietHours).push,
        Outcome::Deliver,
        "breaks through"
    );
    assert_eq!(cell("reply", Situation::QuietHours).push, Outcome::Suppress);
    assert_eq!(cell("reply", Situation::Paused).push, Outcome::Suppress);
    assert_eq!(
        cell("mention", Situation::Paused).push,
        Outcome::Deliver,
        "mentions always alert"
    );
    assert_eq!(
        cell("reply", Situation::Paused).dashboard,
        Outcome::Deliver,
        "the bell keeps everything"
    );

    // A change shows at once: mentions no longer always alert.
    let quieter = Preferences {
        mentions_always_alert: false,
        ..Preferences::default()
    };
    let after = herald_protocol::preview(&quieter);
    let paused_mention = after
        .rows
        .iter()
        .find(|r| r.kind == EventKind::Mention)
        .unwrap()
        .cells[3];
    assert_eq!(paused_mention.situation, Situation::Paused);
    assert_eq!(paused_mention.push, Outcome::Suppress);
}
