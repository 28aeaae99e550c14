//! The integration suite lives in this package's `[[test]]` targets; their shared helpers are in
//! `support/`. This library is empty on purpose: it only gives the package a target.
