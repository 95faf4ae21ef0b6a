// mousescore leaderboard: sort any table.sortable by clicking a column header, and filter the overview.
// Rows are rendered by the site builder; this only reorders and hides them, so pages work from file://.
"use strict";

(function () {
  // Number columns sort best (largest) first on the first click, text columns A to Z; empty cells
  // always go last, whichever the direction.
  function sortValue(row, index, numeric) {
    var raw = row.cells[index].getAttribute("data-value") || "";
    if (raw === "") {
      return null;
    }
    if (!numeric) {
      return raw.toLowerCase();
    }
    var value = parseFloat(raw);
    return isNaN(value) ? null : value;
  }

  function compare(a, b, descending) {
    if (a === null || b === null) {
      return (a === null) - (b === null);
    }
    var order = a < b ? -1 : a > b ? 1 : 0;
    return descending ? -order : order;
  }

  function nextDirection(header, numeric) {
    var current = header.getAttribute("aria-sort");
    if (current === "none") {
      return numeric ? "descending" : "ascending";
    }
    return current === "ascending" ? "descending" : "ascending";
  }

  function sortBy(table, header) {
    var headers = table.tHead.rows[0].cells;
    var index = Array.prototype.indexOf.call(headers, header);
    var numeric = header.getAttribute("data-type") === "number";
    var direction = nextDirection(header, numeric);
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows).map(function (row, position) {
      return { row: row, value: sortValue(row, index, numeric), position: position };
    });
    rows.sort(function (a, b) {
      // ties keep their current order (a stable sort on every browser)
      return compare(a.value, b.value, direction === "descending") || a.position - b.position;
    });
    rows.forEach(function (item) {
      body.appendChild(item.row);
    });
    Array.prototype.forEach.call(headers, function (cell) {
      cell.setAttribute("aria-sort", cell === header ? direction : "none");
    });
  }

  function enableSorting(table) {
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header) {
      header.addEventListener("click", function () {
        sortBy(table, header);
      });
    });
  }

  function applyFilters(form) {
    var table = document.getElementById(form.getAttribute("data-table"));
    var selects = form.querySelectorAll("select[data-filter]");
    var rows = table.tBodies[0].rows;
    var shown = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var visible = Array.prototype.every.call(selects, function (select) {
        return select.value === "" || row.getAttribute("data-" + select.getAttribute("data-filter")) === select.value;
      });
      row.hidden = !visible;
      shown += visible ? 1 : 0;
    });
    var count = document.getElementById("row-count");
    if (count) {
      count.textContent = shown + " of " + rows.length + " models shown";
    }
  }

  function enableFilters(form) {
    form.addEventListener("change", function () {
      applyFilters(form);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), enableSorting);
  Array.prototype.forEach.call(document.querySelectorAll("form.filters"), enableFilters);
})();
