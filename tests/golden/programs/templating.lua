-- string templating with gsub: {{var}}, {{var|filter}}, loops expanded by a function, escaping
local filters = {
  upper = string.upper,
  lower = string.lower,
  len = function(s) return tostring(#s) end,
  html = function(s) return (s:gsub("[<>&\"]", {["<"] = "&lt;", [">"] = "&gt;", ["&"] = "&amp;", ['"'] = "&quot;"})) end,
}
local function render(tpl, ctx)
  tpl = tpl:gsub("{%%%s*for (%w+) in (%w+)%s*%%}(.-){%%%s*end%s*%%}", function(var, list, body)
    local out = {}
    for i, item in ipairs(ctx[list] or {}) do
      local sub = setmetatable({[var] = item, index = tostring(i)}, {__index = ctx})
      out[#out + 1] = render(body, sub)
    end
    return table.concat(out)
  end)
  return (tpl:gsub("{{%s*([%w_.]+)%s*|?%s*(%w*)%s*}}", function(path, filter)
    local v = ctx
    for part in path:gmatch("[^.]+") do v = type(v) == "table" and v[part] or nil end
    if v == nil then return "{{" .. path .. "?}}" end
    v = tostring(v)
    if filter ~= "" then v = filters[filter](v) end
    return v
  end))
end
local ctx = {title = "Report <1>", user = {name = "Ada", role = "admin"}, items = {"alpha", "beta", "gamma"}, count = 3}
print(render("# {{title|html}} for {{ user.name | upper }} ({{user.role}})", ctx))
print(render("Items ({{count}}):{% for it in items %} [{{index}}:{{it|upper}}:{{it|len}}]{% end %}", ctx))
print(render("Missing: {{nope}} and {{user.nope}} 100%", ctx))
local n = select(2, ("{{a}} {{b}} {{c}}"):gsub("{{(%w)}}", "%1"))
print("placeholders", n)
