//! The embedded store: SQLite (bundled), one file under the data directory.
