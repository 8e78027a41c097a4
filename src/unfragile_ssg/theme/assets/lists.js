// Sort the list tables on this page (a list page or the home page) without reloading it.
// Without JavaScript the tables keep their order, by UnfragileRank, and the pre-filtered list
// pages (Type, Task, Pricing links above them) narrow a list; this only adds a "Sort by" control.
(function () {
  "use strict";
  var PRICING_ORDER = ["Free", "Freemium", "Paid", "Contact sales"];

  function cellValue(row, column) {
    var cell = row.cells[column];
    var text = cell ? cell.textContent.trim() : "";
    if (cell && cell.classList.contains("num")) {
      var number = parseFloat(text);
      return isNaN(number) ? -Infinity : number;
    }
    var place = PRICING_ORDER.indexOf(text);
    return place >= 0 ? place : text.toLocaleLowerCase();
  }

  function enhance(table, index) {
    var headers = table.tHead ? Array.prototype.slice.call(table.tHead.rows[0].cells) : [];
    var body = table.tBodies[0];
    if (!body || body.rows.length < 2) return;
    var rows = Array.prototype.slice.call(body.rows);
    rows.forEach(function (row, i) { row.dataset.order = String(i); });

    var label = document.createElement("label");
    label.className = "list-sort";
    var id = "list-sort-" + index;
    label.setAttribute("for", id);
    label.textContent = "Sort by";
    var select = document.createElement("select");
    select.id = id;
    select.add(new Option("as listed", ""));
    headers.forEach(function (th, column) {
      var name = th.textContent.trim();
      if (name && name !== "#") select.add(new Option(name, String(column)));
    });
    label.appendChild(select);
    table.closest(".table-scroll").before(label);

    select.addEventListener("change", function () {
      var column = select.value === "" ? null : Number(select.value);
      var descending = column !== null && headers[column] && headers[column].textContent.trim() !== "Name" &&
        rows.length && typeof cellValue(rows[0], column) === "number" && headers[column].textContent.trim() !== "Pricing";
      var sorted = rows.slice().sort(function (a, b) {
        if (column === null) return a.dataset.order - b.dataset.order;
        var x = cellValue(a, column), y = cellValue(b, column);
        var order = x < y ? -1 : x > y ? 1 : 0;
        return (descending ? -order : order) || a.dataset.order - b.dataset.order;
      });
      sorted.forEach(function (row) { body.appendChild(row); });
      headers.forEach(function (th, i) {
        if (i === column) th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        else th.removeAttribute("aria-sort");
      });
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.ranked"), enhance);
})();
