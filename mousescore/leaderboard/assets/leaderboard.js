// mousescore leaderboard: sort any table.sortable by clicking a column header; on the overview, search,
// filter, and fold column groups. Rows and colours are rendered by the site builder; this only reorders,
// hides and shows them, so pages work from file:// without a server.
"use strict";

(function () {
  // --- sorting: number columns best (largest) first on the first click, text A to Z; empty cells
  // always last, whichever the direction.
  function sortValue(row, index, numeric) {
    // the cell's data-value where the builder wrote one (a number shown rounded), else its text
    var cell = row.cells[index];
    var raw = cell.hasAttribute("data-value") ? cell.getAttribute("data-value") : cell.textContent.trim();
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

  function headerRow(table) {
    return table.tHead.rows[table.tHead.rows.length - 1];   // the columns' row, under any group row
  }

  function sortBy(table, header) {
    var headers = headerRow(table).cells;
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
    var fragment = document.createDocumentFragment();
    rows.forEach(function (item) {
      fragment.appendChild(item.row);
    });
    body.appendChild(fragment);
    Array.prototype.forEach.call(headers, function (cell) {
      cell.setAttribute("aria-sort", cell === header ? direction : "none");
    });
  }

  function enableSorting(table) {
    Array.prototype.forEach.call(headerRow(table).cells, function (header) {
      header.addEventListener("click", function (event) {
        if (event.target.closest && event.target.closest("button.sites")) {
          return;   // the area's layers button, not a sort
        }
        sortBy(table, header);
      });
    });
  }

  // --- search and filters -------------------------------------------------------------------------
  function applyFilters(form) {
    var table = document.getElementById(form.getAttribute("data-table"));
    var selects = form.querySelectorAll("select[data-filter]");
    var search = form.querySelector("input[type=search]");
    var query = search ? search.value.trim().toLowerCase() : "";
    var rows = table.tBodies[0].rows;
    var shown = 0;
    Array.prototype.forEach.call(rows, function (row) {
      var visible = (query === "" || (row.getAttribute("data-search") || "").indexOf(query) !== -1) &&
        Array.prototype.every.call(selects, function (select) {
          return select.value === "" || row.getAttribute("data-f-" + select.getAttribute("data-filter")) === select.value;
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
    form.addEventListener("input", function () {
      applyFilters(form);
    });
    form.addEventListener("reset", function () {
      window.setTimeout(function () {
        applyFilters(form);
      }, 0);
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
    });
  }

  // --- folding column groups ------------------------------------------------------------------------
  function updateGroupSpans(table) {
    var columns = headerRow(table).cells;
    Array.prototype.forEach.call(table.querySelectorAll("th.group"), function (group) {
      var key = group.getAttribute("data-group");
      var span = 0;
      Array.prototype.forEach.call(columns, function (cell) {
        if (cell.getAttribute("data-group") === key && window.getComputedStyle(cell).display !== "none") {
          span += 1;
        }
      });
      group.hidden = span === 0;
      group.colSpan = Math.max(span, 1);
    });
  }

  function setFolded(table, button, open) {
    var key = button.getAttribute("data-group");
    table.classList.toggle("open-" + key, open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
    button.textContent = open ? "\u2212" : "+";
    updateGroupSpans(table);
  }

  function enableFolding(table) {
    Array.prototype.forEach.call(table.querySelectorAll("button.fold"), function (button) {
      button.addEventListener("click", function () {
        setFolded(table, button, button.getAttribute("aria-expanded") !== "true");
      });
    });
    Array.prototype.forEach.call(table.querySelectorAll("button.sites"), function (button) {
      button.addEventListener("click", function (event) {
        event.stopPropagation();
        var open = button.getAttribute("aria-expanded") !== "true";
        table.classList.toggle("sites-" + button.getAttribute("data-area"), open);
        button.setAttribute("aria-expanded", open ? "true" : "false");
        button.textContent = (open ? "\u2212" : "+") + button.textContent.replace(/^[+\u2212]/, "");
        updateGroupSpans(table);
      });
    });
    fitToFrame(table);
  }

  // On a screen narrower than the builder assumed, fold the open groups from the right until the
  // table fits its frame (the page never scrolls sideways by default).
  function fitToFrame(table) {
    var frame = table.parentElement;
    var open = Array.prototype.filter.call(table.querySelectorAll("button.fold"), function (button) {
      return button.getAttribute("aria-expanded") === "true";
    });
    while (open.length && table.scrollWidth > frame.clientWidth) {
      setFolded(table, open.pop(), false);
    }
  }

  Array.prototype.forEach.call(document.querySelectorAll("table.sortable"), enableSorting);
  Array.prototype.forEach.call(document.querySelectorAll("form.filters"), enableFilters);
  Array.prototype.forEach.call(document.querySelectorAll("table.overview"), enableFolding);
})();
