-- wrk script: procedure searches cycling through typical queries (accented, unaccented, codes,
-- filters), so the benchmark measures search rather than one cached query.
local queries = {
  "/api/procedures?q=dang%20ky%20khai%20sinh",
  "/api/procedures?q=%C4%91%C4%83ng%20k%C3%BD%20k%E1%BA%BFt%20h%C3%B4n",
  "/api/procedures?q=giay%20phep%20xay%20dung",
  "/api/procedures?q=cap%20lai%20giay%20phep",
  "/api/procedures?q=ho%20kinh%20doanh&field=HKD",
  "/api/procedures?q=tro%20cap",
  "/api/procedures?q=chung%20nhan%20an%20toan%20thuc%20pham",
  "/api/procedures?q=gia%20han&level=province",
  "/api/procedures?q=1.001193",
  "/api/procedures?q=giay%20phep&agency=000.00.17.H99",
  "/api/procedures?q=thu%20hoi%20giay",
  "/api/procedures?field=DD&page=2",
}
local i = 0
request = function()
  i = (i % #queries) + 1
  return wrk.format("GET", queries[i])
end
