/* The dashboard: an overview strip of every account sorted by urgency, a card per account from
   /api/report (binding window, severity and classes as the API gives them: the page never decides
   them itself), a week chart per account from
   /api/series (uPlot), the use per day from /api/daily, the last 30 days' resets from
   /api/resets. Polls /api/report; a card's chart is
   (re)loaded only when the account has a newer snapshot and the card is on or near the screen,
   so fifty accounts cost what the visible few cost. No inline script (the page's CSP forbids
   it); every value goes into the page as text, never as HTML. */
"use strict";

(() => {
  const REFRESH_MS = Number(document.body.dataset.refreshMs) || 30000;
  const WEEK_S = 7 * 86400;
  const SEVERITY_TEXT = { critical: "CRITICAL", warning: "LOW", stale: "STALE" };
  const KINDS = [
    { kind: "five_hour", label: "5h", color: "--five" },
    { kind: "weekly", label: "weekly", color: "--week" },
    { kind: "monthly", label: "monthly", color: "--month" },
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
    if (!formatters.has(key)) formatters.set(key, new Intl.DateTimeFormat("en-GB", { timeZone: state.tz, hourCycle: "h23", ...options }));
    return formatters.get(key);
  }
  function parts(ms) {
    const out = {};
    for (const p of formatter({ weekday: "short", day: "2-digit", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" }).formatToParts(ms)) out[p.type] = p.value;
    return out;
  }

  /** The command line's one date style, in the chosen zone: "13:40" today, "Fri 04 Dec 13:40" this
      year, "Mon 04 Jan 2027 13:40" in another (``nowMs`` omitted: always with the date). */
  function localTime(iso, nowMs) {
    if (!iso) return "—";
    const ms = typeof iso === "number" ? iso * 1000 : Date.parse(iso);
    const p = parts(ms);
    const time = `${p.hour}:${p.minute}`;
    if (nowMs === undefined) return `${p.weekday} ${p.day} ${p.month} ${time}`;
    const n = parts(nowMs);
    if (p.year === n.year && p.month === n.month && p.day === n.day) return time;
    return p.year === n.year ? `${p.weekday} ${p.day} ${p.month} ${time}` : `${p.weekday} ${p.day} ${p.month} ${p.year} ${time}`;
  }

  const UTC_DAY = new Intl.DateTimeFormat("en-GB", { timeZone: "UTC", weekday: "short", day: "2-digit", month: "short" });

  /** A day label in the same style: "Fri 04 Dec" (the year when not this year). */
  function dayLabel(ms, nowMs) {
    const p = parts(ms), n = parts(nowMs === undefined ? ms : nowMs);
    return p.year === n.year ? `${p.weekday} ${p.day} ${p.month}` : `${p.weekday} ${p.day} ${p.month} ${p.year}`;
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

  /** The API's own figures for one window of one account (report --json), or undefined. */
  function reportWindow(account, kind, limit = "codex") {
    const a = state.report && state.report.accounts.find((x) => x.account === account);
    return a && a.windows.find((w) => w.kind === kind && w.limit === limit);
  }

  /** The run-out probability, when the forecast gives one: " (35 % chance)". */
  const chance = (w) => (typeof w.run_out_probability === "number" && w.run_out_probability > 0
    ? ` (${Math.round(w.run_out_probability * 100)} % chance)` : "");

  /** The time an account runs out first (ms), or Infinity: the overview's first sort key. */
  function runsOutMs(a) {
    const times = a.windows.filter((w) => w.exhausts_before_reset && w.exhausts_at && !w.reset_since_last_snapshot)
      .map((w) => Date.parse(w.exhausts_at));
    return times.length ? Math.min(...times) : Infinity;
  }

  // -- cards -----------------------------------------------------------------------------

  function cardFor(account) {
    let card = state.cards.get(account);
    if (!card) {
      const node = $("#card-template").content.firstElementChild.cloneNode(true);
      node.dataset.account = account;
      node.id = cardId(account);
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
    else if (SEVERITY_TEXT[a.severity] && !list.length) list.push([SEVERITY_TEXT[a.severity], a.severity === "critical"]);
    return list;
  }

  const cardId = (account) => "card-" + encodeURIComponent(account).replace(/[^A-Za-z0-9_-]/g, "_");

  // reset credits: how many can be used, the first expiry, and the advice (report --json's fields)
  function renderCredits(a, node, nowMs) {
    const box = $(".reset-credits", node);
    const state = a.reset_credits_state;
    const unknown = state && state.state !== "ok";
    box.hidden = !a.reset_credits_usable;  // nothing usable (or nothing known): no line, as in `report`
    if (box.hidden) return;
    let text = `reset credits: ${a.reset_credits_usable} usable`;
    const first = a.reset_credits_earliest_expiry;
    if (first) text += `, first expires ${localTime(first, nowMs)} (${countdown(Date.parse(first) - nowMs)})`;
    if (unknown) text += ` (list unreadable, last asked ${localTime(state.checked_at, nowMs)})`;
    $(".credits-line", box).textContent = text;
    $(".advice", box).replaceChildren(...(a.credit_advice || []).map((x) => el("li", x.message, x.kind)));
  }

  function renderCard(a, nowMs) {
    const card = cardFor(a.account);
    const node = card.node;
    node.className = `card sev-${a.severity || "normal"}`;
    node.dataset.severity = a.severity || "";
    node.dataset.binding = a.binding_kind || "";
    $(".plan", node).textContent = a.plan ? `(${a.plan})` : "";
    $(".credits", node).textContent = creditsText(a.credits_balance);
    $(".badges", node).replaceChildren(...badges(a).map(([text, bad]) => el("span", text, bad ? "badge bad" : "badge")));
    $(".last", node).textContent = a.last_snapshot_at
      ? `last snapshot ${localTime(a.last_snapshot_at, nowMs)} (${countdown(Date.parse(a.last_snapshot_at) - nowMs)})`
      : "no snapshot yet";
    const error = $(".error", node);
    error.hidden = !a.last_error;
    if (a.last_error) error.textContent = `${a.last_error.kind} since ${localTime(a.last_error.since, nowMs)}: ${a.last_error.message}`;
    renderCredits(a, node, nowMs);
    $(".windows tbody", node).replaceChildren(...a.windows.map((w) => windowRow(w, w.limit === "codex" && w.kind === a.binding_kind, nowMs)));
    renderBlocked(node, a, nowMs);
    return card;
  }

  /** "credits 12.50" (the balance verbatim, as report --json gives it); nothing for none or zero. */
  function creditsText(balance) {
    if (balance === null || balance === undefined || balance === "") return "";
    const n = Number(balance);
    return Number.isFinite(n) && n === 0 ? "" : `credits ${balance}`;
  }

  /** Hours and minutes: "9 h", "2 h 05 m", "40 m" (as `tracker report` words it). */
  function duration(seconds) {
    const total = Math.round(seconds / 60), h = Math.floor(total / 60), m = total % 60;
    return h ? (m ? `${h} h ${String(m).padStart(2, "0")} m` : `${h} h`) : `${m} m`;
  }

  /** The main quota's blocked spans over the last 7 days, newest first, and their total. */
  function renderBlocked(node, a, nowMs) {
    const spans = a.blocked_spans || [];
    const section = $(".blocked", node);
    section.hidden = !spans.length;
    section.dataset.seconds = String(a.blocked_seconds_this_week ?? "");
    $(".blocked-total", node).textContent = spans.length ? `${duration(a.blocked_seconds_this_week)} in the last 7 days` : "";
    $(".blocked ul", node).replaceChildren(...spans.slice().reverse().map((s) => {
      const item = el("li", `${windowLabel("codex", s.kind)}: ${localTime(s.from, nowMs)} → ${s.open ? "now" : localTime(s.until, nowMs)} (${duration(s.seconds)})`);
      item.dataset.kind = s.kind;
      return item;
    }));
  }

  /** Used % expected at the reset, with the 80 % range when past weeks give one: "80 (71-92)". */
  function atReset(w) {
    const p = w.projected_used_percent_at_reset;
    if (p === null || p === undefined) return "—";
    const low = w.projected_low, high = w.projected_high;
    const range = low !== null && high !== null && low !== undefined && Math.round(low) !== Math.round(high)
      ? ` (${Math.round(low)}-${Math.round(high)})` : "";
    return `${Math.round(p)}%${range}`;
  }

  function windowLabel(limit, kind) {
    const label = (KINDS.find((k) => k.kind === kind) || { label: kind }).label;
    return limit === "codex" ? label : `${limit} ${label}`;
  }

  function windowRow(w, binding, nowMs) {
    const row = el("tr", null, `sev-${w.severity || "normal"}` + (binding ? " binding" : ""));
    row.dataset.kind = w.kind;
    const resets = w.reset_since_last_snapshot ? "passed"
      : w.reset_at ? `${localTime(w.reset_at, nowMs)} (${countdown(Date.parse(w.reset_at) - nowMs)})` : "—";
    const runsOut = w.exhausts_at === null ? "—" : w.exhausts_before_reset === false ? "after reset" : localTime(w.exhausts_at, nowMs) + chance(w);
    const cells = [
      [windowLabel(w.limit, w.kind)], [pct(w.used_percent), "used"], [pct(w.remaining_percent), "left"],
      [rate(w.burn_rate_percent_per_hour), "opt"], [atReset(w), "opt"], [resets], [runsOut, w.exhausts_before_reset ? "out" : ""],
    ];
    row.append(...cells.map(([text, cls]) => el("td", text, cls)));
    return row;
  }

  // -- overview ------------------------------------------------------------------------

  /** Every account, most urgent first: runs out soonest, then least left; each links to its card. */
  function renderOverview(report, nowMs) {
    const order = report.accounts.slice().sort((a, b) => runsOutMs(a) - runsOutMs(b)
      || (a.effective_remaining_percent ?? 101) - (b.effective_remaining_percent ?? 101) || (a.account < b.account ? -1 : 1));
    $("#overview").replaceChildren(...order.map((a) => {
      const link = el("a", null, `chip sev-${a.severity || "normal"}`);
      link.href = "#" + cardId(a.account);
      link.dataset.account = a.account;
      const out = runsOutMs(a);
      const binding = a.windows.find((w) => w.limit === "codex" && w.kind === a.binding_kind);
      const left = a.effective_remaining_percent === null || a.effective_remaining_percent === undefined ? "no data"
        : `${pct(Math.round(a.effective_remaining_percent))} left`;
      const verdict = out !== Infinity ? `runs out ${localTime(new Date(out).toISOString(), nowMs)}${binding ? chance(binding) : ""}`
        : a.stale ? "stale" : binding && binding.reset_at ? `lasts to ${localTime(binding.reset_at, nowMs)}` : "";
      link.append(el("strong", a.account, "who"), el("span", left, "left"), el("span", verdict, "verdict"));
      link.title = `${a.account}: ${left}${verdict ? ", " + verdict : ""} (${a.severity || "normal"})`;
      return link;
    }));
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

  /** The 80 % band around a projection: from the last reading (no spread yet) widening in time to
      the report's projected_low..projected_high at the reset. */
  function bandPoints(s) {
    const w = reportWindow(s.account, s.kind);
    const proj = s.data.projection;
    if (!w || w.projected_low === null || w.projected_high === null || w.projected_low === undefined || proj.length < 2) return null;
    const [t0, v0] = proj[0], reset = s.data.next_reset || proj[proj.length - 1][0];
    const at = (t, end) => Math.min(100, v0 + ((end - v0) * Math.max(0, t - t0)) / Math.max(1, reset - t0));
    const ts = proj.map(([t]) => t);
    if (ts[ts.length - 1] < reset) ts.push(reset);
    return { low: ts.map((t) => [t, at(t, w.projected_low)]), high: ts.map((t) => [t, at(t, w.projected_high)]) };
  }

  function drawMarks(u, series, nowS) {
    const ctx = u.ctx, { left, top, width, height } = u.bbox, dpr = devicePixelRatio, r = 5 * dpr;
    const x = (t) => u.valToPos(t, "x", true), y = (v) => u.valToPos(v, "y", true);
    const inside = (px) => px >= left && px <= left + width;
    ctx.save();
    ctx.beginPath(); ctx.rect(left, top, width, height); ctx.clip();
    for (const s of series) {
      const band = bandPoints(s);
      if (!band) continue; // the 80 % range, shaded in the window's colour
      ctx.fillStyle = css(s.color); ctx.globalAlpha = 0.16;
      ctx.beginPath();
      band.high.forEach(([t, v], i) => (i ? ctx.lineTo(x(t), y(v)) : ctx.moveTo(x(t), y(v))));
      band.low.slice().reverse().forEach(([t, v]) => ctx.lineTo(x(t), y(v)));
      ctx.closePath(); ctx.fill(); ctx.globalAlpha = 1;
    }
    ctx.restore();
    ctx.save();
    ctx.font = `${11 * dpr}px system-ui, sans-serif`;
    for (const s of series) {
      ctx.fillStyle = css(s.color);
      for (const t of s.data.resets) {
        const px = x(t);
        if (!inside(px)) continue;
        ctx.beginPath(); ctx.moveTo(px, top + height - r * 1.6); ctx.lineTo(px - r, top + height); ctx.lineTo(px + r, top + height); ctx.fill();
      }
      if (s.data.next_reset && inside(x(s.data.next_reset))) { // dotted: the next reset, labelled
        const px = x(s.data.next_reset);
        ctx.strokeStyle = css(s.color); ctx.setLineDash([2 * dpr, 3 * dpr]);
        ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, top + height); ctx.stroke(); ctx.setLineDash([]);
        ctx.textAlign = "right";
        ctx.fillText(`${s.label} reset`, px - 3 * dpr, top + (s.kind === "five_hour" ? 12 : s.kind === "weekly" ? 26 : 40) * dpr);
      }
    }
    if (nowS !== undefined && inside(x(nowS))) { // solid: now
      const px = x(nowS);
      ctx.strokeStyle = css("--fg"); ctx.globalAlpha = 0.6; ctx.lineWidth = dpr;
      ctx.beginPath(); ctx.moveTo(px, top); ctx.lineTo(px, top + height); ctx.stroke(); ctx.globalAlpha = 1;
      ctx.fillStyle = css("--fg"); ctx.textAlign = "left";
      ctx.fillText("now", px + 3 * dpr, top + height - 6 * dpr);
    }
    ctx.restore();
  }

  /** Axis labels in the page's date style: "Fri 04 Dec" at midnight, "13:00" between. */
  function timeTicks(u, ticks) {
    const nowMs = state.report ? Date.parse(state.report.generated_at) : undefined;
    const narrow = u.bbox.width / devicePixelRatio < 480; // a phone: "Thu 12", the month from the table
    return ticks.map((ts) => {
      const p = parts(ts * 1000);
      if (p.hour !== "00" || p.minute !== "00") return `${p.hour}:${p.minute}`;
      return narrow ? `${p.weekday} ${p.day}` : dayLabel(ts * 1000, nowMs);
    });
  }

  function buildPlot(card, container) {
    const available = KINDS.filter((k) => card.series[k.kind])
      .map((k) => ({ ...k, account: card.account, data: card.series[k.kind] }));
    if (!available.length) return null;
    const until = Date.parse(available[0].data.until) / 1000;
    const nowS = state.report ? Date.parse(state.report.generated_at) / 1000 : until;
    // The whole projection, to the latest reset: the week behind, and what is expected ahead.
    const ends = available.flatMap((s) => [s.data.next_reset || 0, ...s.data.projection.map(([t]) => t)]);
    const xMax = Math.max(until, nowS, ...ends) + 1800;
    const tables = [], latest = [];
    const series = [{ value: (u, ts) => (ts === null ? "—" : localTime(ts)) }];
    for (const s of available) {
      tables.push(columns(s.data.lines));
      const last = s.data.lines.length ? s.data.lines[s.data.lines.length - 1] : [];
      latest.push(last.length ? last[last.length - 1][1] : null);
      series.push({ label: s.label, stroke: css(s.color), width: 1.5, spanGaps: false,
                    value: (u, v) => pct(v === null || v === undefined ? null : Math.round(v * 10) / 10) });
    }
    for (const s of available) {
      if (s.data.projection.length < 2) continue;
      const w = reportWindow(card.account, s.kind) || {};
      tables.push([s.data.projection.map(([t]) => t), s.data.projection.map(([, v]) => v)]);
      latest.push(s.data.projection[s.data.projection.length - 1][1]);
      series.push({ label: `${s.label} at reset`, stroke: css(s.color), width: 1.5, dash: [6, 4], spanGaps: true,
                    value: (u, v) => (v === null || v === undefined ? "—" : pct(Math.round(v)) + chance(w)) });
    }
    const axis = { stroke: css("--muted"), grid: { stroke: css("--grid"), width: 1 }, ticks: { stroke: css("--grid") } };
    const showLatest = (u) => { // the legend shows the latest values until a hover, and after one
      const cells = u.root.querySelectorAll(".u-legend .u-series .u-value");
      if (!cells.length) return;
      cells[0].textContent = "latest";
      for (let i = 1; i < u.series.length && i < cells.length; i++) cells[i].textContent = u.series[i].value(u, latest[i - 1], i, null);
    };
    const options = {
      width: Math.max(260, container.clientWidth), height: 220,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), state.tz),
      scales: { x: { time: true, range: (u, min, max) => [Math.max(min, until - WEEK_S), Math.max(max, xMax)] }, y: { range: [0, 100] } },
      axes: [{ ...axis, values: timeTicks, space: 84 }, { ...axis, values: (u, ticks) => ticks.map((v) => v + "%"), size: 50 }],
      cursor: { drag: { x: true, y: false } },
      series,
      hooks: {
        draw: [(u) => { drawMarks(u, available, nowS); container.dataset.xMax = String(u.scales.x.max); }],
        setLegend: [(u) => { if (u.legend.idx === null || u.legend.idx === undefined) showLatest(u); }],
        ready: [showLatest],
      },
    };
    const plot = new uPlot(options, uPlot.join(tables), container);
    // For tests and scripts: where the chart ends, where the projection ends, the next reset.
    const proj = available.map((s) => s.data.projection).filter((p) => p.length);
    container.dataset.projectionEnd = proj.length ? String(Math.max(...proj.map((p) => p[p.length - 1][0]))) : "";
    container.dataset.nextReset = String(Math.max(0, ...available.map((s) => s.data.next_reset || 0)));
    return plot;
  }

  function renderDaily(card) {
    const bars = $(".bars", card.node);
    if (!card.daily) { bars.replaceChildren(el("span", "no weekly or monthly window", "bar")); return; }
    const max = Math.max(10, ...card.daily.days.map((d) => d.used_percent));
    bars.replaceChildren(...card.daily.days.map((d) => {
      const bar = el("div", null, "bar");
      const fill = el("span", null, "fill");
      fill.style.height = `${(d.used_percent / max) * 70}%`; // CSSOM, allowed by the CSP
      const day = UTC_DAY.format(Date.parse(`${d.date}T12:00:00Z`)).replace(",", ""); // the zone's own date
      bar.title = `${day}: ${d.used_percent.toFixed(1)} points`;
      bar.append(el("span", d.used_percent.toFixed(0)), fill, el("span", day.slice(0, 6)));
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
    // The windows the report shows (a weekly-only or monthly-only account has no five-hour series:
    // no 404 to ask for); every kind when it shows none of the main quota's.
    const shown = KINDS.filter((k) => reportWindow(account, k.kind)).map((k) => k.kind);
    const wanted = (kind) => (shown.length ? shown.includes(kind) : kind !== "monthly");
    const [five, weekly, monthly, daily, resets] = await Promise.all(
      [...KINDS.map((k) => (wanted(k.kind) ? fetchSeries(k.kind) : null)),
      getJSON("/api/daily", { account, tz: state.tz, days: 7 }).catch((e) => { if (e.status === 404 || e.status === 400) return null; throw e; }),
      getJSON("/api/resets", { account, until: untilIso }).catch((e) => { if (e.status === 404) return null; throw e; })]);
    card.series = { five_hour: five, weekly, monthly };
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
    renderOverview(report, nowMs);
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
    renderOverview(state.report, nowMs);
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
