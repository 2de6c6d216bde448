#'f/ a
"unterminated