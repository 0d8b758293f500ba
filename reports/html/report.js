/* global document, setTimeout */
// The findings filter. Reads its data from the JSON island with JSON.parse and writes only with
// textContent and the hidden property, so nothing in the data can become markup.
(function () {
  'use strict';
  var island = document.getElementById('posture-data');
  var table = document.getElementById('findings-table');
  var form = document.getElementById('filters');
  if (!island || !table || !form) return;
  var data = JSON.parse(island.textContent || '{"rows":[]}');
  var rows = table.tBodies[0] ? table.tBodies[0].rows : [];
  var selects = Array.prototype.slice.call(form.querySelectorAll('select[data-key]'));
  var search = document.getElementById('filter-search');
  var count = document.getElementById('findings-count');
  var empty = document.getElementById('findings-empty');
  var more = document.getElementById('findings-more');
  // Laying out tens of thousands of rows stalls a browser: show matches a page at a time.
  var PAGE = 500;
  var limit = PAGE;
  // A capped report lists some of the result's findings: the counts say they are of the listed ones.
  var total = typeof data.total === 'number' ? data.total : rows.length;
  var capped = total > rows.length;

  function apply() {
    var wanted = selects
      .filter(function (select) { return select.value !== ''; })
      .map(function (select) { return { key: select.getAttribute('data-key'), value: select.value }; });
    var terms = (search && search.value ? search.value : '').toLowerCase().split(/\s+/).filter(Boolean);
    var matched = 0;
    for (var i = 0; i < rows.length; i++) {
      var row = rows[i];
      var entry = data.rows[Number(row.getAttribute('data-index'))];
      var match = Boolean(entry);
      for (var w = 0; match && w < wanted.length; w++) match = entry[wanted[w].key] === wanted[w].value;
      for (var t = 0; match && t < terms.length; t++) match = entry.q.indexOf(terms[t]) !== -1;
      if (match) matched++;
      row.hidden = !match || matched > limit;
    }
    var shown = Math.min(matched, limit);
    if (count) {
      count.textContent = matched + ' of ' + rows.length + (capped ? ' listed' : '') + ' findings match' + (shown < matched ? ' (showing ' + shown + ')' : '') +
        (capped ? '; the result has ' + total + ', see the notice above' : '');
    }
    if (empty) empty.hidden = matched !== 0;
    if (more) {
      more.hidden = shown >= matched;
      more.textContent = 'Show ' + Math.min(PAGE, matched - shown) + ' more';
    }
  }

  function refilter() {
    limit = PAGE;
    apply();
  }

  selects.forEach(function (select) { select.addEventListener('change', refilter); });
  if (search) search.addEventListener('input', refilter);
  if (more) more.addEventListener('click', function () { limit += PAGE; apply(); });
  form.addEventListener('submit', function (event) { event.preventDefault(); });
  // A reset restores the controls after the event; filter again once it has.
  form.addEventListener('reset', function () { setTimeout(refilter, 0); });
  form.hidden = false;
  apply();
})();
