//! The store contract suite (`tests/common/store_contract.rs`), run for every store.

mod common;

mod sqlite_memory {
    crate::store_contract_tests!(crate::common::stores::sqlite_memory);
}

mod sqlite_file {
    crate::store_contract_tests!(crate::common::stores::sqlite_file);
}
