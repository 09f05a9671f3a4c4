// faultline report: draws the embedded view (#faultline-data) as an SVG timeline.
// Hand-written, no dependencies, nothing fetched. Lanes: fault windows, the leader over time,
// one lane per node (up/down, role, term), one lane per client process (each operation a bar
// from invoke to completion). A linearizability counterexample is highlighted as Porcupine
// does: its longest linearizable prefix outlined and numbered in order, the operations that
// cannot follow it in red. Any error is written into #errors; once drawn, the body's
// data-rendered attribute is ok (error after an error).
(function () {
  'use strict';
  var errors = document.getElementById('errors');
  function report(message) {
    errors.hidden = false;
    errors.textContent += message + '\n';
    document.body.setAttribute('data-rendered', 'error');
  }
  window.addEventListener('error', function (e) {
    report('JavaScript error: ' + e.message + ' (line ' + e.lineno + ')');
  });

  var SVG = 'http://www.w3.org/2000/svg';
  var GUTTER = 150, LANE = 16, GAP = 3, AXIS = 26, FAULT_ROW = 13, PAD = 12;
  var data, svg, wrap, tooltip, details;
  var state = { zoom: 1, key: '', cex: -1, onlyKey: false, selected: null };
  var cexes = [];          // indices into data.violations that are counterexamples
  var byIndex = {};        // op index -> op
  var involved = {};       // op index -> true, for every violation's ops

  function el(name, attrs, parent) {
    var e = document.createElementNS(SVG, name);
    for (var k in attrs) { if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]); }
    if (parent) parent.appendChild(e);
    return e;
  }
  function text(x, y, s, cls, parent) {
    var t = el('text', { x: x, y: y, 'class': cls || '' }, parent);
    t.textContent = s;
    return t;
  }
  function fmt(t) {
    if (data.unit === 'line') return 'line ' + Math.round(t);
    if (data.unit === 'raw') return 't=' + (Math.round(t * 100) / 100);
    if (t >= 1000) return (t / 1000).toFixed(t >= 10000 ? 1 : 2) + ' s';
    return t.toFixed(t >= 100 ? 0 : 1) + ' ms';
  }
  function span(a, b) { return fmt(a) + ' → ' + (b === null || b === undefined ? 'never' : fmt(b)); }

  function width() {
    var avail = Math.max(400, (wrap.clientWidth || 1200) - GUTTER - PAD * 2);
    return avail * state.zoom;
  }
  function xOf(t, w) { return GUTTER + (t / data.end) * w; }

  // ---- what each drawn thing says when hovered or clicked ----
  function opText(op) {
    var s = '#' + op.index + '  process ' + op.process + '  ' + op.call + '\n' +
      op.outcome + (op.result !== null ? ' ' + op.result : '') +
      (op.error ? '  (' + op.error + ')' : '') + '\n' + span(op.start, op.end);
    var c = currentCex();
    if (c) {
      var pos = c.prefix.indexOf(op.index);
      if (pos >= 0) s += '\nlinearizable prefix: position ' + (pos + 1) + ' of ' + c.prefix.length;
      if (c.ops.indexOf(op.index) >= 0) s += '\ncannot follow the longest linearizable prefix';
    }
    return s;
  }
  function nodeText(node, sp) {
    return 'node ' + node + ': ' + (sp.up ? (sp.role || 'up') : sp.role) +
      (sp.up ? ', term ' + sp.term + (sp.leader ? ', leader ' + sp.leader : ', no leader') : '') +
      '\n' + span(sp.from, sp.to);
  }
  function faultText(f) {
    return (f.skipped ? 'skipped ' : '') + f.name + ': ' + f.text + '\n' +
      (f.to === null ? 'at ' + fmt(f.from) : span(f.from, f.to));
  }
  function show(evt, s) {
    tooltip.textContent = s;
    tooltip.hidden = false;
    var x = Math.min(evt.clientX + 14, window.innerWidth - 340);
    tooltip.style.left = Math.max(0, x) + 'px';
    tooltip.style.top = (evt.clientY + 14) + 'px';
  }
  function hide() { tooltip.hidden = true; }
  function interactive(node, describe, record) {
    node.addEventListener('mousemove', function (e) { show(e, describe()); });
    node.addEventListener('mouseleave', hide);
    node.addEventListener('click', function () {
      var prev = svg.querySelector('.selected');
      if (prev) prev.classList.remove('selected');
      node.classList.add('selected');
      details.textContent = describe() + '\n\n' + JSON.stringify(record, null, 2);
    });
  }

  // ---- counterexamples ----
  function currentCex() { return state.cex >= 0 ? data.violations[cexes[state.cex]] : null; }
  function cexKey() { var c = currentCex(); return c && c.keys.length ? c.keys[0] : null; }

  // ---- layout ----
  function faultRows(w) {
    // Greedy rows so bars (and their labels) do not overlap.
    var ends = [], rows = [];
    data.faults.forEach(function (f, i) {
      var x0 = xOf(f.from, w), x1 = f.to === null ? x0 + 8 : Math.max(xOf(f.to, w), x0 + 8);
      var label = x0 + 6 + f.name.length * 6;
      var right = Math.max(x1, label);
      var r = 0;
      while (r < ends.length && ends[r] > x0) r++;
      ends[r] = right + 2;
      rows[i] = r;
    });
    return { rows: rows, count: Math.max(1, ends.length) };
  }

  function draw() {
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    hide();
    var w = width();
    var fr = faultRows(w);
    var y = AXIS;
    var faultTop = y;
    y += fr.count * FAULT_ROW + GAP;
    var leaderY = y; y += LANE + GAP;
    var nodeY = {};
    data.nodes.forEach(function (n) { nodeY[n.id] = y; y += LANE + GAP; });
    y += 14;
    var clientsLabelY = y - 4;
    var procY = {};
    data.processes.forEach(function (p) { procY[p] = y; y += LANE + GAP; });
    var bottom = y + PAD;
    svg.setAttribute('width', GUTTER + w + PAD * 2);
    svg.setAttribute('height', bottom);

    // Axis.
    var axis = el('g', { 'class': 'axis' }, svg);
    var target = w / 110, raw = data.end / Math.max(1, target);
    var mag = Math.pow(10, Math.floor(Math.log10(Math.max(raw, 1e-9))));
    var step = [1, 2, 5, 10].map(function (m) { return m * mag; }).find(function (s) { return s >= raw; }) || raw;
    for (var t = 0; t <= data.end + 1e-9; t += step) {
      var x = xOf(t, w);
      el('line', { x1: x, x2: x, y1: AXIS - 6, y2: bottom - PAD, 'class': 'tick' }, axis);
      text(x + 2, AXIS - 10, fmt(t), '', axis);
    }

    // Lane backgrounds; their labels are drawn last, in a group that stays in view.
    var lanes = el('g', { 'class': 'lanes' }, svg);
    var labelText = [];
    function laneBg(y0, label, g) {
      el('rect', { x: GUTTER, y: y0, width: w, height: LANE, 'class': 'lane-bg' }, g);
      labelText.push([y0 + LANE - 4, label, 'lane-label']);
    }
    labelText.push([faultTop + FAULT_ROW - 3, 'faults', 'section-label']);
    var lg = el('g', { 'class': 'lane-leader' }, lanes);
    laneBg(leaderY, 'leader', lg);
    data.nodes.forEach(function (n) {
      var g = el('g', { 'class': 'lane-node', 'data-node': n.id }, lanes);
      laneBg(nodeY[n.id], 'node ' + n.id, g);
    });
    labelText.push([clientsLabelY, 'clients', 'section-label']);
    var labels = {};
    (data.process_labels || []).forEach(function (pl) { labels[pl[0]] = pl[1]; });
    var clientLanes = {};
    data.processes.forEach(function (p) {
      var g = el('g', { 'class': 'lane-client', 'data-process': p }, lanes);
      laneBg(procY[p], labels[p] || ('process ' + p), g);
      clientLanes[p] = g;
    });

    // Fault windows across every lane, and their bars in the fault rows.
    var faults = el('g', { 'class': 'faults' }, svg);
    data.faults.forEach(function (f, i) {
      var x0 = xOf(f.from, w);
      var fy = faultTop + fr.rows[i] * FAULT_ROW;
      if (f.to !== null && !f.skipped) {
        var x1 = Math.max(xOf(f.to, w), x0 + 1);
        el('rect', { x: x0, y: faultTop, width: x1 - x0, height: bottom - PAD - faultTop,
          'class': 'fault-window fam-' + f.family, 'data-fault': f.name }, faults);
        var bar = el('rect', { x: x0, y: fy + 1, width: x1 - x0, height: FAULT_ROW - 2,
          'class': 'fault-bar fam-' + f.family }, faults);
        interactive(bar, function () { return faultText(f); }, f);
      } else {
        if (!f.skipped) el('line', { x1: x0, x2: x0, y1: faultTop, y2: bottom - PAD, 'class': 'fault-instant' }, faults);
        var mark = el('rect', { x: x0 - 3, y: fy + 2, width: 7, height: FAULT_ROW - 4,
          'class': 'fault-bar fault-mark fam-' + f.family + (f.skipped ? ' skipped' : '') }, faults);
        interactive(mark, function () { return faultText(f); }, f);
      }
      text(x0 + (f.to === null ? 6 : 3), fy + FAULT_ROW - 3, f.name + (f.skipped ? ' (skipped)' : ''), '', faults);
    });

    // Notes: ticks on the axis.
    var notes = el('g', { 'class': 'notes' }, svg);
    data.notes.forEach(function (n) {
      var x = xOf(n.at, w);
      var tick = el('line', { x1: x, x2: x, y1: AXIS - 4, y2: AXIS + 2, 'class': 'note-tick' }, notes);
      interactive(tick, function () { return n.text + '\nat ' + fmt(n.at); }, n);
    });

    // Who led when.
    var palette = ['#1f4e96', '#7a3db8', '#0f7b6c', '#b35900', '#a4133c', '#3d5a80', '#5c6b00', '#6d4c41', '#006d77'];
    data.leaders.forEach(function (l) {
      var x0 = xOf(l.from, w), x1 = Math.max(xOf(l.to, w), x0 + 1);
      var r = el('rect', { x: x0, y: leaderY + 2, width: x1 - x0, height: LANE - 4,
        'class': 'leader-span', fill: palette[(l.node - 1) % palette.length] }, lg);
      interactive(r, function () { return 'node ' + l.node + ' leads term ' + l.term + '\n' + span(l.from, l.to); }, l);
      if (x1 - x0 > 40) text(x0 + 3, leaderY + LANE - 5, 'n' + l.node + ' t' + l.term, 'node-text', lg);
    });

    // Node lanes.
    data.nodes.forEach(function (n) {
      var g = svg.querySelector('.lane-node[data-node="' + n.id + '"]');
      n.spans.forEach(function (sp) {
        var x0 = xOf(sp.from, w), x1 = Math.max(xOf(sp.to, w), x0 + 0.5);
        var role = (sp.role || 'up').toLowerCase().replace(/[^a-z]+/g, '-');
        var cls = 'node-span ' + (sp.up ? 'up role-' + role : (sp.role === 'not started' ? 'never' : 'down'));
        var r = el('rect', { x: x0, y: nodeY[n.id] + 1, width: x1 - x0, height: LANE - 2, 'class': cls }, g);
        interactive(r, function () { return nodeText(n.id, sp); }, sp);
        if (sp.up && x1 - x0 > 26) {
          var dark = role !== 'leader';
          text(x0 + 3, nodeY[n.id] + LANE - 4, 't' + sp.term, 'node-text' + (dark ? ' dark' : ''), g);
        }
      });
    });

    // Operations.
    var cex = currentCex(), key = cexKey();
    var prefixPos = {}, stuck = {};
    if (cex) {
      cex.prefix.forEach(function (i, k) { prefixPos[i] = k + 1; });
      cex.ops.forEach(function (i) { stuck[i] = true; });
    }
    var lastLabel = {};
    data.ops.forEach(function (op) {
      if (state.key && op.key !== state.key) return;
      if (state.onlyKey && key !== null && op.key !== key) return;
      var g = clientLanes[op.process];
      if (!g) return;
      var x0 = xOf(op.start, w);
      var end = op.end === null ? data.end : op.end;
      var x1 = Math.max(xOf(end, w), x0 + 1.5);
      var cls = 'op ' + op.outcome + (op.end === null ? ' open' : '');
      if (cex) {
        if (stuck[op.index]) cls += ' stuck';
        else if (prefixPos[op.index]) cls += ' prefix';
        else cls += ' dim';
      } else if (involved[op.index]) {
        cls += ' involved';
      }
      var r = el('rect', { x: x0, y: procY[op.process] + 2, width: x1 - x0, height: LANE - 4,
        'class': cls, 'data-op': op.index }, g);
      interactive(r, function () { return opText(op); }, op);
      // The prefix's order, above each of its bars, where labels do not collide.
      if (prefixPos[op.index] && x0 - (lastLabel[op.process] === undefined ? -1e9 : lastLabel[op.process]) >= 14) {
        text(x0, procY[op.process] - 1, String(prefixPos[op.index]), 'prefix-order', g);
        lastLabel[op.process] = x0;
      }
    });

    // Violations with a time: a line across every lane.
    var marks = el('g', { 'class': 'violation-marks' }, svg);
    data.violations.forEach(function (v) {
      if (v.at === null) return;
      var x = xOf(v.at, w);
      el('line', { x1: x, x2: x, y1: faultTop, y2: bottom - PAD, 'class': 'violation-mark' }, marks);
      var flag = el('path', { d: 'M' + x + ' ' + (AXIS - 2) + ' l6 -8 h-12 z', 'class': 'violation-flag' }, marks);
      interactive(flag, function () { return v.property + ' at ' + fmt(v.at) + '\n' + v.message; }, v);
    });
    // Lane labels, kept at the left edge while the timeline scrolls.
    var sticky = el('g', { 'class': 'lane-labels' }, svg);
    el('rect', { x: 0, y: 0, width: GUTTER - 4, height: bottom, fill: '#fff' }, sticky);
    labelText.forEach(function (l) { text(6, l[0], l[1], l[2], sticky); });
    stick();
    if (errors.hidden) document.body.setAttribute('data-rendered', 'ok');
  }
  function stick() {
    var g = svg.querySelector('.lane-labels');
    if (g) g.setAttribute('transform', 'translate(' + wrap.scrollLeft + ',0)');
  }

  // Zooms so that [from, to] fills most of the view, and scrolls to it.
  function focus(from, to) {
    var avail = Math.max(400, (wrap.clientWidth || 1200) - GUTTER - PAD * 2);
    var len = Math.max(to - from, data.end / 2000);
    state.zoom = Math.min(2000, Math.max(1, (data.end / len) * 0.7));
    draw();
    var w = width();
    wrap.scrollLeft = Math.max(0, xOf(from, w) - GUTTER - avail * 0.15);
    stick();
  }
  function focusCex() {
    var c = currentCex();
    if (!c) return;
    var shown = c.ops.concat(c.prefix.slice(-6));
    var from = Infinity, to = -Infinity;
    shown.forEach(function (i) {
      var op = byIndex[i];
      if (!op) return;
      from = Math.min(from, op.start);
      to = Math.max(to, op.end === null ? op.start : op.end);
    });
    if (from < to) focus(from, to);
  }

  function controls() {
    var box = document.getElementById('controls');
    function button(label, title, onclick) {
      var b = document.createElement('button');
      b.type = 'button'; b.textContent = label; b.title = title;
      b.addEventListener('click', onclick);
      box.appendChild(b);
      return b;
    }
    button('−', 'zoom out', function () { state.zoom = Math.max(1, state.zoom / 2); draw(); });
    button('+', 'zoom in', function () { state.zoom = Math.min(4000, state.zoom * 2); draw(); });
    button('fit', 'show the whole run', function () { state.zoom = 1; draw(); });

    var keys = {};
    data.ops.forEach(function (op) { if (op.key !== null) keys[op.key] = true; });
    var names = Object.keys(keys).sort();
    if (names.length > 1) {
      var lab = document.createElement('label'); lab.textContent = 'key ';
      var sel = document.createElement('select'); sel.id = 'key-filter';
      [''].concat(names).forEach(function (k) {
        var o = document.createElement('option'); o.value = k; o.textContent = k || 'all keys'; sel.appendChild(o);
      });
      sel.addEventListener('change', function () { state.key = sel.value; draw(); });
      lab.appendChild(sel); box.appendChild(lab);
    }
    if (cexes.length) {
      var lab2 = document.createElement('label'); lab2.textContent = 'counterexample ';
      var sel2 = document.createElement('select'); sel2.id = 'cex-select';
      var none = document.createElement('option'); none.value = '-1'; none.textContent = 'none'; sel2.appendChild(none);
      cexes.forEach(function (vi, i) {
        var v = data.violations[vi];
        var o = document.createElement('option'); o.value = String(i);
        o.textContent = (v.keys[0] || 'history') + ' (' + v.ops.length + ' stuck after ' + v.prefix.length + ')';
        sel2.appendChild(o);
      });
      sel2.value = String(state.cex);
      sel2.addEventListener('change', function () { state.cex = parseInt(sel2.value, 10); markActive(); draw(); });
      lab2.appendChild(sel2); box.appendChild(lab2);
      var only = document.createElement('label');
      var cb = document.createElement('input'); cb.type = 'checkbox'; cb.id = 'only-key';
      cb.addEventListener('change', function () { state.onlyKey = cb.checked; draw(); });
      only.appendChild(cb); only.appendChild(document.createTextNode(' only its key'));
      box.appendChild(only);
      button('show it', 'zoom to the counterexample', focusCex);
    }
  }

  function legend() {
    var box = document.getElementById('legend');
    [['ok', 'var(--ok)'], ['fail', 'var(--fail)'], ['info (unknown)', 'var(--info)'],
     ['linearizable prefix', '#fff;border:2px solid var(--prefix)'], ['cannot follow it', 'var(--stuck)'],
     ['leader', 'var(--leader)'], ['follower', 'var(--follower)'], ['candidate', 'var(--candidate)'],
     ['learner', 'var(--learner)'], ['down', 'var(--down)'],
     ['partition', '#f3a3a3'], ['link', '#f6cf7c'], ['kill', '#9c9c9c'], ['disk', '#c7a6ef']
    ].forEach(function (item) {
      var s = document.createElement('span');
      s.innerHTML = '<span class="swatch" style="background:' + item[1] + '"></span>';
      s.appendChild(document.createTextNode(item[0]));
      box.appendChild(s);
    });
  }

  function markActive() {
    var items = document.querySelectorAll('.violation');
    for (var i = 0; i < items.length; i++) items[i].classList.remove('active');
    var c = currentCex();
    if (!c) return;
    var li = document.querySelector('.violation[data-violation="' + cexes[state.cex] + '"]');
    if (li) li.classList.add('active');
  }

  try {
    data = JSON.parse(document.getElementById('faultline-data').textContent);
    svg = document.getElementById('timeline');
    wrap = document.getElementById('timeline-wrap');
    tooltip = document.getElementById('tooltip');
    details = document.getElementById('details');
    data.ops.forEach(function (op) { byIndex[op.index] = op; });
    data.violations.forEach(function (v, i) {
      v.ops.forEach(function (o) { involved[o] = true; });
      if (v.property === 'linearizability' && (v.prefix.length || v.ops.length)) cexes.push(i);
    });
    if (cexes.length) state.cex = 0;
    controls();
    legend();
    markActive();
    var items = document.querySelectorAll('.violation');
    for (var i = 0; i < items.length; i++) {
      items[i].addEventListener('click', function (e) {
        var vi = parseInt(this.getAttribute('data-violation'), 10);
        var k = cexes.indexOf(vi);
        var v = data.violations[vi];
        if (k >= 0) {
          state.cex = k;
          var sel = document.getElementById('cex-select');
          if (sel) sel.value = String(k);
          markActive();
          focusCex();
        } else if (v.at !== null) {
          focus(Math.max(0, v.at - data.end / 40), Math.min(data.end, v.at + data.end / 40));
        }
      });
    }
    draw();
    if (location.hash === '#counterexample') focusCex();
    window.addEventListener('resize', draw);
    wrap.addEventListener('scroll', stick);
  } catch (e) {
    report('JavaScript error: ' + (e && e.stack ? e.stack : e));
  }
})();
