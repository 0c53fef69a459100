//! Both backends migrate through the same steps: a migration added to one folder only would
//! leave the other backend behind.

fn names(backend: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn sqlite_and_postgres_hold_the_same_migration_names() {
    let sqlite = names("sqlite");
    assert!(sqlite.len() >= 7, "{sqlite:?}");
    assert_eq!(sqlite, names("postgres"));
}
