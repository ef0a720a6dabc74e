// flame_svg: the script of --format svg's flame graph (report_svg.c embeds
// it).  Each box is a <g class="f"> with its start and width in the metric's
// units (data-x, data-w), its depth (data-d) and name (data-n); a click
// zooms to a box (its ancestors full width, everything outside hidden),
// "Search" highlights the boxes whose name matches a regular expression and
// shows the share they cover (fpSearch(re) does it for a test).  A
// differential graph's boxes also have their start and width by base
// (data-bx, data-bw): "Width by base" switches to that reverse view.
'use strict';
(function () {
  var svg = document.documentElement;
  var X0 = +svg.getAttribute('data-x0'), W = +svg.getAttribute('data-inner');
  var totals = [+svg.getAttribute('data-total'), +svg.getAttribute('data-total-base')];
  var total = totals[0], fontw = 0.59 * 12;
  var boxes = Array.prototype.slice.call(document.querySelectorAll('g.f'));
  var details = document.getElementById('details');
  var unzoom = document.getElementById('unzoom');
  var matched = document.getElementById('matched');
  var reverse = document.getElementById('reverse');
  var searching = null;

  boxes.forEach(function (g) {
    g.views = [[+g.getAttribute('data-x'), +g.getAttribute('data-w')],
               [+g.getAttribute('data-bx'), +g.getAttribute('data-bw')]];
    g.fx = g.views[0][0];
    g.fw = g.views[0][1];
    g.fd = +g.getAttribute('data-d');
    g.fname = g.getAttribute('data-n');
    g.rect = g.querySelector('rect');
    g.label = g.querySelector('text');
    g.fill = g.rect.getAttribute('fill');
    g.addEventListener('click', function () { zoom(g); });
    g.addEventListener('mouseover', function () {
      details.textContent = g.querySelector('title').textContent;
    });
    g.addEventListener('mouseout', function () { details.textContent = ' '; });
  });

  function fit(name, w) {
    var n = Math.floor((w - 6) / fontw);
    if (n < 3) return '';
    return name.length <= n ? name : name.slice(0, n - 2) + '..';
  }

  // Draws the boxes within [zx, zx + zw) from depth zd up; the boxes below
  // zd that hold that range are drawn full width.
  function draw(zx, zw, zd) {
    boxes.forEach(function (g) {
      var x, w, show;
      if (g.fd < zd) {
        show = g.fx <= zx && g.fx + g.fw >= zx + zw;
        x = X0;
        w = W;
      } else {
        show = g.fx >= zx && g.fx + g.fw <= zx + zw;
        x = X0 + (g.fx - zx) / zw * W;
        w = g.fw / zw * W;
      }
      if (!show || w < 0.1) {
        g.style.display = 'none';
        return;
      }
      g.style.display = '';
      g.rect.setAttribute('x', x.toFixed(2));
      g.rect.setAttribute('width', w.toFixed(2));
      g.label.setAttribute('x', (x + 3).toFixed(2));
      g.label.textContent = fit(g.fname, w);
    });
  }

  function zoom(g) {
    draw(g.fx, g.fw, g.fd);
    unzoom.style.opacity = g.fd > 0 ? 1 : 0;
  }

  // Highlights the boxes matching re; returns the share of the total they
  // cover (overlapping boxes counted once).
  window.fpSearch = function (re) {
    var r = new RegExp(re), spans = [];
    boxes.forEach(function (g) {
      var hit = r.test(g.fname);
      g.rect.setAttribute('fill', hit ? 'rgb(230,0,230)' : g.fill);
      if (hit) spans.push([g.fx, g.fx + g.fw]);
    });
    spans.sort(function (a, b) { return a[0] - b[0]; });
    var covered = 0, end = -1;
    spans.forEach(function (s) {
      if (s[0] >= end) { covered += s[1] - s[0]; end = s[1]; }
      else if (s[1] > end) { covered += s[1] - end; end = s[1]; }
    });
    searching = re;
    var share = total ? covered / total : 0;
    matched.textContent = 'Matched: ' + (100 * share).toFixed(1) + '%';
    matched.style.opacity = 1;
    document.getElementById('search').textContent = 'Reset search';
    return share;
  };

  function resetSearch() {
    boxes.forEach(function (g) { g.rect.setAttribute('fill', g.fill); });
    searching = null;
    matched.style.opacity = 0;
    document.getElementById('search').textContent = 'Search';
  }

  document.getElementById('search').addEventListener('click', function () {
    if (searching !== null) return resetSearch();
    var t = window.prompt('Search for (regular expression):', '');
    if (t) window.fpSearch(t);
  });
  unzoom.addEventListener('click', function () {
    draw(0, total, 0);
    unzoom.style.opacity = 0;
  });
  // view 0: widths by new (or the only view), 1: by base
  function show(view) {
    total = totals[view];
    boxes.forEach(function (g) { g.fx = g.views[view][0]; g.fw = g.views[view][1]; });
    if (searching !== null) window.fpSearch(searching);
    draw(0, total, 0);
    unzoom.style.opacity = 0;
    if (reverse) {
      reverse.textContent = view ? 'Width by new' : 'Width by base';
      reverse.view = view;
      document.getElementById('view').textContent = view ? 'widths by base (the reverse view)'
                                                         : 'widths by new';
    }
  }
  if (reverse)
    reverse.addEventListener('click', function () { show(reverse.view ? 0 : 1); });
  show(0);
})();
