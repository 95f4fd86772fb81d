// Arrears pages: progressive enhancement only; every page works without JavaScript.
// Drop empty filter fields from htmx requests so the URLs pushed to the history stay short and shareable.
document.addEventListener("htmx:configRequest", function (event) {
  var params = event.detail.parameters;
  var empty = [];
  params.forEach(function (value, key) { if (value === "") { empty.push(key); } });
  empty.forEach(function (key) { params.delete(key); });
});
