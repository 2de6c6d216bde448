//! The lexer: Lua 5.2 source bytes to tokens (being written).
