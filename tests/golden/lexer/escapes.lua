-- string escapes: \a \b \f \n \r \t \v \\ \" \' \ddd \xhh \z and escaped newline
local s = "a\tb\\c\"d\'e"
print(s, #s)
print(#"\a\b\f\n\r\t\v", string.byte("\a\b\f\n\r\t\v", 1, -1))
print("\65\066\0677", #"\0", #"\00", #"\000", ("\0x"):byte(1, -1))
print("\x41\x62\x7A\x7e", ("\xff\x00"):byte(1, -1))
print("start\z
       end", "a\z    b")
print("line1\
line2")
print('single "quotes" inside', "double 'quotes' inside")
print(#"\255\254", ("\255"):byte())
print("tab:\9:", "nl count", select(2, ("a\nb\nc"):gsub("\n", "")))
