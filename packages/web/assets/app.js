// etl ui: the page's only script. Draws the marts' line charts (uPlot, served from this origin)
// and keeps the page current: while the tab is visible it asks /api/changes every few seconds
// (one cheap query on the server) and, when something changed, fetches this same page and swaps
// in its content; the stream and cdc pages, whose lag moves without a run, are fetched at every
// poll. Nothing runs while the tab is hidden.
'use strict';
(function () {
  var POLL_MS = 2000;
  var token = null;
  var timer = null;
  var live = document.getElementById('live');

  function drawLines() {
    document.querySelectorAll('div.chart[data-source]').forEach(drawLine);
  }

  function drawLine(box) {
    var source = document.getElementById(box.dataset.source);
    if (!source || typeof uPlot === 'undefined' || box.dataset.drawn) return;
    var series = JSON.parse(source.textContent || '{}');
    if (!series.x || series.x.length === 0) return;
    box.dataset.drawn = '1';
    var width = Math.min(960, box.clientWidth || 900);
    new uPlot(
      {
        width: width,
        height: 300,
        cursor: { drag: { x: true, y: false } },
        scales: { x: { time: true } },
        axes: [
          {},
          {
            values: function (u, ticks) {
              return ticks.map(function (t) {
                return t.toLocaleString('en-US');
              });
            },
            size: 80,
          },
        ],
        series: [
          {},
          {
            label: series.label,
            stroke: '#2563eb',
            width: 1.5,
            value: function (u, v) {
              return v == null ? '-' : v.toLocaleString('en-US', { maximumFractionDigits: 2 });
            },
          },
        ],
      },
      [series.x, series.y],
      box,
    );
  }

  function setLive(state, text) {
    if (!live) return;
    live.className = 'live ' + state;
    live.textContent = text;
  }

  function refresh() {
    return fetch(location.href, { headers: { Accept: 'text/html' } })
      .then(function (r) {
        return r.text();
      })
      .then(function (text) {
        var next = new DOMParser().parseFromString(text, 'text/html');
        ['strip', 'main'].forEach(function (id) {
          var now = document.getElementById(id);
          var fresh = next.getElementById(id);
          if (now && fresh) now.replaceWith(document.adoptNode(fresh));
        });
        drawLines();
      });
  }

  function check() {
    timer = null;
    if (document.visibilityState !== 'visible') return;
    fetch('/api/changes', { headers: { Accept: 'application/json' } })
      .then(function (r) {
        return r.ok ? r.json() : Promise.reject(new Error('HTTP ' + r.status));
      })
      .then(function (body) {
        var changed = token !== null && body.token !== token;
        var wasDown = live && live.classList.contains('down');
        token = body.token;
        setLive('up', 'live');
        // Lag and positions move without a run: such pages refresh at every poll.
        var main = document.getElementById('main');
        var always = main && main.dataset.live === 'always';
        return changed || wasDown || always ? refresh() : null;
      })
      .catch(function () {
        setLive('down', 'reconnecting…');
      })
      .then(schedule);
  }

  function schedule() {
    if (timer === null && document.visibilityState === 'visible') timer = setTimeout(check, POLL_MS);
  }

  document.addEventListener('visibilitychange', function () {
    if (document.visibilityState === 'visible') check();
    else if (timer !== null) {
      clearTimeout(timer);
      timer = null;
    }
  });
  drawLines();
  check();
})();
