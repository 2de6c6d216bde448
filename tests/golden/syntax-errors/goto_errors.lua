-- goto/label errors: no visible label, repeated label, jumping into the scope of a local
local cases = {
  "goto nowhere",
  "do ::a:: end goto a",
  "::a:: ::a::",
  "::a:: do ::a:: end",
  "goto f; local x; ::f:: print(x)",
  "do goto f; local x; ::f:: end",
  "while true do goto continue end",
  "local function g() goto out end ::out::",
  "repeat goto done local y until y ::done::",
}
for i, src in ipairs(cases) do
  local f, err = load(src)
  print(i, f and "compiled" or err)
end
