//! Unit tests on hand-built ASTs (the golden tests against luac are in `tests/luac/`).
