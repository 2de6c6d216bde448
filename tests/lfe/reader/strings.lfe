"abc" "" "a\"b" "a\\b" "tab\there" "new\nline" "\b\t\n\v\f\r\e\s\d"
"\q\x41;" "unicode: λ café ✓" "a
b"
(97 98 99) (104 101 108 108 111) (1 2 3) (97 98 . 99) (10) (127) (160) (55296)
"""
    Triple quoted
      keeps inner indentation
    and "quotes" inside
    """
"""
no indent
"""
"""
"""
"""
    ""x and """ inside
    """
#"bytes" #"" #"λ" #"a\"b" #"\d"
#"""
  binary triple
  """
