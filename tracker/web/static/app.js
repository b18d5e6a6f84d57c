/* The dashboard: a card per account from /api/report, a week chart per account from
   /api/series (uPlot), the use per day from /api/daily, the last 30 days' resets from
   /api/resets. Polls /api/report; a card's chart is
   (re)loaded only when the account has a newer snapshot and the card is on or near the screen,
   so fifty accounts cost what the visible few cost. No inline script (the page's CSP forbids
   it); every value goes into the page as text, never as HTML. */
"use strict";

(() => {
  const REFRESH_MS = Number(document.body.dataset.refreshMs) || 30000;
  const WEEK_S = 7 * 86400;
  const PROJECTION_AHEAD_S = 8 * 3600; // how far past "now" the chart shows the projection
  const KINDS = [
    { kind: "five_hour", label: "5h", color: "--five" },
    { kind: "weekly", label: "weekly", color: "--week" },
  ];
  const TIMING_TEXT = { early: "early", on_time: "on time", late: "late", later: "moved later",
                        earlier: "moved earlier", unknown: "—" }; // as `tracker resets` words them
  const BROWSER_TZ = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  const state = { tz: localStorage.getItem("tracker.tz") || BROWSER_TZ, report: null, cards: new Map() };
  const $ = (selector, root = document) => root.querySelector(selector);

  // -- formatting ------------------------------------------------------------------------

  const formatters = new Map();
  function formatter(options) {
    const key = state.tz + JSON.stringify(options);
    if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat(undefined, { timeZone: state.tz, hourCycle: "h23", ...options }));
    return formatters.get(key);
  }
  const dayKey = (ms) => formatter({ year: "numeric", month: "2-digit", day: "2-digit" }).format(ms);

  /** Local wall time in the chosen zone; the date only when it is not today. */
  function localTime(iso, nowMs) {
    if (!iso) return "—";
    const ms = typeof iso === "number" ? iso * 1000 : Date.parse(iso);
    const time = formatter({ hour: "2-digit", minute: "2-digit" }).format(ms);
    if (nowMs !== undefined && dayKey(ms) === dayKey(nowMs)) return time;
    return formatter({ weekday: "short", day: "numeric", month: "short" }).format(ms) + " " + time;
  }

  function countdown(deltaMs) {
    const past = deltaMs < 0;
    let s = Math.floor(Math.abs(deltaMs) / 1000);
    const d = Math.floor(s / 86400); s -= d * 86400;
    const h = Math.floor(s / 3600); s -= h * 3600;
    const m = Math.floor(s / 60);
    const text = d ? `${d}d ${h}h` : h ? `${h}h ${String(m).padStart(2, "0")}m` : `${m}m`;
    return past ? `${text} ago` : `in ${text}`;
  }

  const pct = (v) => (v === null || v === undefined ? "—" : (Number.isInteger(v) ? v : v.toFixed(1)) + "%");
  const rate = (v) => (v === null || v === undefined ? "—" : v > 100 ? ">100" : v.toFixed(1));
  const css = (name) => getComputedStyle(document.documentElement).getPropertyValue(name).trim();

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined && text !== null) node.textContent = text;
    if (className) node.className = className;
    return node;
  }

  // -- data ------------------------------------------------------------------------------

  async function getJSON(path, params) {
    const url = new URL(path, location.href);
    for (const [k, v] of Object.entries(params || {})) url.searchParams.set(k, v);
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) {
      const error = new Error(body.error || `HTTP ${response.status}`);
      error.status = response.status;
      throw error;
    }
    return body;
  }

  /** The window that binds: the first to run out before its reset, else the least left. */
  function bindingWindow(windows) {
    const running = windows.filter((w) => w.exhausts_before_reset && w.exhausts_at);
    if (running.length) return running.reduce((a, b) => (Date.parse(a.exhausts_at) <= Date.parse(b.exhausts_at) ? a : b));
    return windows.reduce((a, b) => (b.remaining_percent < a.remaining_percent ? b : a), windows[0]);
  }

  /** Used % expected at the reset at the current burn rate (the report's own figure when it has one). */
  function projectedAtReset(w, nowMs) {
    if ("projected_used_percent_at_reset" in w) return w.projected_used_percent_at_reset;
    if (w.reset_since_last_snapshot) return 0;
    if (w.burn_rate_percent_per_hour === null || !w.reset_at) return null;
    const hours = (Date.parse(w.reset_at) - nowMs) / 3600000;
    return Math.min(100, w.used_percent + w.burn_rate_percent_per_hour * Math.max(0, hours));
  }

  // -- cards -----------------------------------------------------------------------------

  function cardFor(account) {
    let card = state.cards.get(account);
    if (!card) {
      const node = $("#card-template").content.firstElementChild.cloneNode(true);
      node.dataset.account = account;
      $(".name", node).textContent = account;
      $("#cards").append(node);
      card = { account, node, plot: null, snapshot: undefined, until: null, stale: false, visible: false,
               loading: false, series: null, daily: null, resets: null };
      state.cards.set(account, card);
      observer.observe(node);
    }
    return card;
  }

  function badges(a) {
    const list = [];
    if (a.windows.some((w) => w.used_percent >= 100 && !w.reset_since_last_snapshot)) list.push(["BLOCKED", true]);
    if (a.runs_out_before_reset) list.push(["RUNS OUT BEFORE RESET", true]);
    if (a.last_error) list.push([a.last_error.kind === "expired" ? "EXPIRED" : "ERROR", true]);
    if (a.stale) list.push(["STALE", false]);
    return list;
  }

  function renderCard(a, nowMs) {
    const card = cardFor(a.account);
    const node = card.node;
    $(".plan", node).textContent = a.plan ? `(${a.plan})` : "";
    $(".badges", node).replaceChildren(...badges(a).map(([text, bad]) => el("span", text, bad ? "badge bad" : "badge")));
    $(".last", node).textContent = a.last_snapshot_at
      ? `last snapshot ${localTime(a.last_snapshot_at, nowMs)} (${countdown(Date.parse(a.last_snapshot_at) - nowMs)})`
      : "no snapshot yet";
    const error = $(".error", node);
    error.hidden = !a.last_error;
    if (a.last_error) error.textContent = `${a.last_error.kind} since ${localTime(a.last_error.since, nowMs)}: ${a.last_error.message}`;
    const binding = a.windows.length ? bindingWindow(a.windows) : null;
    $(".windows tbody", node).replaceChildren(...a.windows.map((w) => windowRow(w, w === binding, nowMs)));
    return card;
  }

  function windowLabel(limit, kind) {
    const label = (KINDS.find((k) => k.kind === kind) || { label: kind }).label;
    return limit === "codex" ? label : `${limit} ${label}`;
  }

  function windowRow(w, binding, nowMs) {
    const row = el("tr", null, binding ? "binding" : "");
    row.dataset.kind = w.kind;
    const resets = w.reset_since_last_snapshot ? "passed"
      : w.reset_at ? `${localTime(w.reset_at, nowMs)} (${countdown(Date.parse(w.reset_at) - nowMs)})` : "—";
    const runsOut = w.exhausts_at === null ? "—" : w.exhausts_before_reset === false ? "after reset" : localTime(w.exhausts_at, nowMs);
    const cells = [
      [windowLabel(w.limit, w.kind)], [pct(w.used_percent), "used"], [pct(w.remaining_percent)],
      [rate(w.burn_rate_percent_per_hour)], [pct(projectedAtReset(w, nowMs))], [resets], [runsOut, w.exhausts_before_reset ? "out" : ""],
    ];
    row.append(...cells.map(([text, cls]) => el("td", text, cls)));
    return row;
  }

  // -- charts ----------------------------------------------------------------------------

  /** [xs, ys] for uPlot: the lines one after another, a null between them (a reset or a gap). */
  function columns(lines) {
    const xs = [], ys = [];
    lines.forEach((line, i) => {
      if (i > 0 && xs.length) { xs.push((xs[xs.length - 1] + line[0][0]) / 2); ys.push(null); }
      for (const [t, v] of line) { xs.push(t); ys.push(v); }
    });
    return [xs, ys];
  }

  /** The projection cut at ``limit`` seconds (interpolated), so a far reset does not squash the week. */
  function projectionColumns(points, limit) {
    if (points.length < 2) return [[], []];
    const [[t0, v0], [t1, v1]] = points;
    if (t1 <= limit) return [[t0, t1], [v0, v1]];
    return [[t0, limit], [v0, v0 + ((v1 - v0) * (limit - t0)) / (t1 - t0)]];
  }

  function drawMarks(u, series) {
    const ctx = u.ctx, { left, top, width, height } = u.bbox, r = 5 * devicePixelRatio;
    ctx.save();
    for (const s of series) {
      ctx.fillStyle = css(s.color);
      for (const t of s.data.resets) {
        const x = u.valToPos(t, "x", true);
        if (x < left || x > left + width) continue;
        ctx.beginPath(); ctx.moveTo(x, top + height - r * 1.6); ctx.lineTo(x - r, top + height); ctx.lineTo(x + r, top + height); ctx.fill();
      }
      if (s.data.next_reset) {
        const x = u.valToPos(s.data.next_reset, "x", true);
        if (x >= left && x <= left + width) {
          ctx.strokeStyle = css(s.color); ctx.setLineDash([2 * devicePixelRatio, 3 * devicePixelRatio]);
          ctx.beginPath(); ctx.moveTo(x, top); ctx.lineTo(x, top + height); ctx.stroke();
        }
      }
    }
    ctx.restore();
  }

  function buildPlot(card, container) {
    const available = KINDS.filter((k) => card.series[k.kind]).map((k) => ({ ...k, data: card.series[k.kind] }));
    if (!available.length) return null;
    const until = Date.parse(available[0].data.until) / 1000;
    const tables = [], series = [{ value: (u, ts) => (ts === null ? "—" : localTime(ts)) }];
    for (const s of available) {
      tables.push(columns(s.data.lines));
      series.push({ label: s.label, stroke: css(s.color), width: 1.5, spanGaps: false, value: (u, v) => pct(v === null ? null : Math.round(v * 10) / 10) });
    }
    for (const s of available) {
      if (s.data.projection.length < 2) continue;
      tables.push(projectionColumns(s.data.projection, until + PROJECTION_AHEAD_S));
      series.push({ label: `${s.label} projected`, stroke: css(s.color), width: 1.5, dash: [6, 4], value: (u, v) => pct(v === null ? null : Math.round(v)) });
    }
    const axis = { stroke: css("--muted"), grid: { stroke: css("--grid"), width: 1 }, ticks: { stroke: css("--grid") } };
    const options = {
      width: Math.max(300, container.clientWidth), height: 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), state.tz),
      scales: { x: { time: true }, y: { range: [0, 100] } },
      axes: [axis, { ...axis, values: (u, ticks) => ticks.map((v) => v + "%"), size: 52 }],
      cursor: { drag: { x: true, y: false } },
      series,
      hooks: { draw: [(u) => drawMarks(u, available)] },
    };
    return new uPlot(options, uPlot.join(tables), container);
  }

  function renderDaily(card) {
    const bars = $(".bars", card.node);
    if (!card.daily) { bars.replaceChildren(el("span", "no weekly window", "bar")); return; }
    const max = Math.max(10, ...card.daily.days.map((d) => d.used_percent));
    bars.replaceChildren(...card.daily.days.map((d) => {
      const bar = el("div", null, "bar");
      const fill = el("span", null, "fill");
      fill.style.height = `${(d.used_percent / max) * 70}%`; // CSSOM, allowed by the CSP
      bar.title = `${d.date}: ${d.used_percent.toFixed(1)} points`;
      bar.append(el("span", d.used_percent.toFixed(0)), fill, el("span", d.date.slice(5)));
      return bar;
    }));
  }

  /** The reset ledger, newest first: a moved reset time shows the old and the new time. */
  function renderResets(card) {
    const body = $(".resets tbody", card.node);
    const events = card.resets ? card.resets.events : [];
    if (!events.length) {
      const cell = el("td", card.resets ? "no resets in the last 30 days" : "not available", "none");
      cell.colSpan = 5;
      const row = el("tr");
      row.append(cell);
      body.replaceChildren(row);
      return;
    }
    const nowMs = state.report ? Date.parse(state.report.generated_at) : undefined;
    body.replaceChildren(...events.slice().reverse().map((e) => {
      const row = el("tr", null, `timing-${e.timing}`);
      row.dataset.window = e.kind;
      row.dataset.timing = e.timing;
      const expected = e.event === "moved" ? `${localTime(e.expected_at, nowMs)} → ${localTime(e.new_reset_at, nowMs)}`
        : localTime(e.expected_at, nowMs);
      row.append(el("td", localTime(e.seen_at, nowMs), "seen"), el("td", windowLabel(e.limit, e.kind)),
                 el("td", `${pct(e.used_before)} → ${pct(e.used_after)}`, "change"), el("td", expected, "expected"),
                 el("td", TIMING_TEXT[e.timing] || e.timing, "timing"));
      return row;
    }));
  }

  async function loadAccount(card, untilIso) {
    const account = card.account;
    const since = new Date(Date.parse(untilIso) - WEEK_S * 1000).toISOString();
    // Two values per pixel column are all a chart can show (the server keeps each bucket's low and high).
    const points = Math.min(2000, Math.max(200, 2 * Math.round($(".chart", card.node).clientWidth)));
    const fetchSeries = (kind) => getJSON("/api/series", { account, kind, since, until: untilIso, points })
      .catch((e) => { if (e.status === 404) return null; throw e; });
    const [five, weekly, daily, resets] = await Promise.all([
      fetchSeries("five_hour"), fetchSeries("weekly"),
      getJSON("/api/daily", { account, tz: state.tz, days: 7 }).catch((e) => { if (e.status === 404 || e.status === 400) return null; throw e; }),
      getJSON("/api/resets", { account, until: untilIso }).catch((e) => { if (e.status === 404) return null; throw e; }),
    ]);
    card.series = { five_hour: five, weekly };
    card.daily = daily;
    card.resets = resets;
    drawAccount(card);
    card.node.dataset.drawnSnapshot = card.drawing; // for tests and scripts: what the chart shows
  }

  function drawAccount(card) {
    if (!card.series) return; // never loaded (off screen so far)
    const container = $(".chart", card.node);
    if (card.plot) { card.plot.destroy(); card.plot = null; }
    container.replaceChildren();
    card.plot = buildPlot(card, container);
    if (!card.plot) container.append(el("p", "no chart data for this period", "status"));
    renderDaily(card);
    renderResets(card);
  }

  // -- refresh loop ----------------------------------------------------------------------

  function setStatus(text, failed) {
    const status = $("#status");
    status.textContent = text;
    status.classList.toggle("failed", Boolean(failed));
  }

  // Loads run for stale cards on or near the screen; the page is "ready" once the first of them drew.
  const pending = new Set();
  let observed = false;

  function schedule(card) {
    if (!card.stale || !card.visible || card.loading) return;
    card.stale = false;
    card.loading = true;
    card.drawing = card.snapshot;
    const job = loadAccount(card, card.until)
      .catch((e) => setStatus(`the chart of ${card.account} failed: ${e.message}`, true))
      .finally(() => { card.loading = false; pending.delete(job); schedule(card); settle(); });
    pending.add(job);
  }

  function settle() {
    const html = document.documentElement;
    if (html.dataset.ready || !observed || pending.size) return;
    html.dataset.drawnMs = String(Math.round(performance.now()));
    html.dataset.ready = "1";
  }

  const observer = new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const card = state.cards.get(entry.target.dataset.account);
      if (!card) continue;
      card.visible = entry.isIntersecting;
      schedule(card);
    }
    observed = true;
    settle();
  }, { rootMargin: "400px 0px" });

  async function refresh() {
    let report;
    try {
      report = await getJSON("/api/report");
    } catch (e) {
      setStatus(e.status ? e.message : `cannot reach the dashboard server (${e.message})`, true);
      return;
    }
    state.report = report;
    const nowMs = Date.parse(report.generated_at);
    const seen = new Set();
    for (const a of report.accounts) {
      seen.add(a.account);
      const card = renderCard(a, nowMs);
      if (card.snapshot !== a.last_snapshot_at) {
        card.snapshot = a.last_snapshot_at;
        card.until = report.generated_at;
        card.stale = true;
        schedule(card);
      }
    }
    for (const [account, card] of state.cards) {
      if (seen.has(account)) continue;
      observer.unobserve(card.node);
      if (card.plot) card.plot.destroy();
      card.node.remove();
      state.cards.delete(account);
    }
    setStatus(`${report.accounts.length} account${report.accounts.length === 1 ? "" : "s"} · as of ${localTime(report.generated_at, nowMs)} · refreshes every ${Math.round(REFRESH_MS / 1000)} s`);
  }

  async function loop() {
    await refresh();
    setTimeout(loop, REFRESH_MS);
  }

  // -- controls --------------------------------------------------------------------------

  function redrawAll() {
    if (!state.report) return;
    const nowMs = Date.parse(state.report.generated_at);
    for (const a of state.report.accounts) renderCard(a, nowMs);
    for (const card of state.cards.values()) drawAccount(card);
  }

  function setupTimeZones() {
    const select = $("#tz");
    const zones = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
    const names = [...new Set([BROWSER_TZ, "UTC", ...zones])];
    if (!names.includes(state.tz)) state.tz = BROWSER_TZ;
    select.replaceChildren(...names.map((z) => {
      const option = el("option", z === BROWSER_TZ ? `${z} (browser)` : z);
      option.value = z;
      return option;
    }));
    select.value = state.tz;
    select.addEventListener("change", () => {
      state.tz = select.value;
      localStorage.setItem("tracker.tz", state.tz);
      redrawAll();
      for (const card of state.cards.values()) { // per-day totals depend on the zone: reload them
        if (card.snapshot === undefined) continue;
        card.stale = true;
        schedule(card);
      }
    });
  }

  function setupTheme() {
    const select = $("#theme");
    const dark = matchMedia("(prefers-color-scheme: dark)");
    const apply = () => {
      const choice = select.value;
      document.documentElement.dataset.theme = choice === "auto" ? (dark.matches ? "dark" : "light") : choice;
      redrawAll();
    };
    select.value = localStorage.getItem("tracker.theme") || "auto";
    select.addEventListener("change", () => { localStorage.setItem("tracker.theme", select.value); apply(); });
    dark.addEventListener("change", apply);
    apply();
  }

  let resizeTimer = null;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => {
      for (const card of state.cards.values()) {
        if (card.plot) card.plot.setSize({ width: Math.max(300, $(".chart", card.node).clientWidth), height: 220 });
      }
    }, 150);
  });

  setupTimeZones();
  setupTheme();
  loop();
})();
