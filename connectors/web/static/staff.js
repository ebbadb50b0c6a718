// The staff console: log in, work the queue, open a ticket, claim, reply, note, resolve, correct.
// The session cookie is HttpOnly; the CSRF token lives in memory and goes out as X-CSRF-Token.
"use strict";

const Staff = (() => {
  const {el, api, renderCited, KIND, openDialog, timeLabel, ageLabel} = RC;
  const $ = (id) => document.getElementById(id);
  const REASONS = {user_request: "主动转人工", complaint: "投诉", low_confidence: "助手没把握", eligibility: "资格判断",
    sensitive: "敏感问题"};
  const STATUS = {open: "待认领", claimed: "处理中", resolved: "已结案"};
  const ROLE = {founder: "创业者", assistant: "助手", staff: "工作人员"};
  const DELIVERY = {pending: ["待投递", ""], delivered: ["已送达", "badge-ok"], failed: ["投递失败", "badge-warn"]};
  const CHANNELS = {web: "网页", telegram: "Telegram", wecom_kf: "微信客服", wechat_oa: "公众号", cli: "命令行"};
  const STAGES = {idea: "想法阶段", seed: "种子期", early: "初创期", growth: "成长期"};
  const NEEDS = {space: "场地", funding: "资金", talent: "人才", compute: "算力", ip: "知识产权", scenarios: "应用场景",
    market: "市场", certification: "资质认证"};
  const state = {csrf: null, me: null, ticketId: null, centers: new Map(), timers: {}};

  const post = (path, body) => api(path, {method: "POST", body, headers: {"X-CSRF-Token": state.csrf || ""}});
  const del = (path) => api(path, {method: "DELETE", headers: {"X-CSRF-Token": state.csrf || ""}});

  // -- session -----------------------------------------------------------------------------------
  async function start() {
    wire();
    const me = await api("/api/staff/me");
    if (me.ok) enter(me.data);
    else showLogin();
  }

  function showLogin() {
    Object.values(state.timers).forEach(clearInterval);
    $("app-view").hidden = true;
    $("who-box").hidden = true;
    $("login-view").hidden = false;
    $("login-user").focus();
  }

  function enter(data) {
    state.csrf = data.csrf_token;
    state.me = data.staff;
    $("login-view").hidden = true;
    $("app-view").hidden = false;
    $("who-box").hidden = false;
    $("who").textContent = `${data.staff.display_name}${data.staff.is_admin ? "（管理员）" : ""}`;
    for (const tab of ["tab-admin", "tab-review", "tab-team"]) $(tab).hidden = !data.staff.is_admin;
    loadQueue();
    state.timers.queue = setInterval(loadQueue, 15000);
    state.timers.ticket = setInterval(() => state.ticketId && refreshTicket(), 5000);
    if (location.pathname === "/staff/admin" && data.staff.is_admin) showTab("admin");
  }

  async function login(e) {
    e.preventDefault();
    const status = $("login-status");
    status.textContent = "";
    const res = await api("/api/staff/login", {method: "POST",
      body: {username: $("login-user").value.trim(), password: $("login-pass").value}});
    $("login-pass").value = "";
    if (res.ok) enter(res.data);
    else status.textContent = res.error;
  }

  async function logout() {
    await post("/api/staff/logout");
    state.csrf = null;
    state.ticketId = null;
    showLogin();
  }

  function showTab(name) {
    const tabs = [["tab-queue", "queue-panel"], ["tab-admin", "admin-panel"], ["tab-review", "review-panel"],
      ["tab-team", "team-panel"]];
    for (const [tab, panel] of tabs) {
      const on = tab === `tab-${name}`;
      $(tab).setAttribute("aria-selected", String(on));
      $(panel).hidden = !on;
    }
    if (name === "admin") Admin.load();
    if (name === "review") Review.load();
    if (name === "team") Review.loadTeam();
  }

  // -- queue -------------------------------------------------------------------------------------
  async function loadQueue() {
    const number = $("f-number").value.trim();
    const q = new URLSearchParams(number ? {q: number} : {status: $("f-status").value});
    for (const [key, id] of [["reason", "f-reason"], ["center", "f-center"], ["older_than", "f-older"]]) {
      if ($(id).value && !number) q.set(key, $(id).value);
    }
    const res = await api(`/api/handoffs?${q}`);
    if (res.status === 401) return showLogin();
    if (!res.ok) return void ($("queue-summary").textContent = res.error);
    const items = res.data.items;
    const overdue = items.filter((t) => t.overdue).length;
    $("queue-summary").textContent = number
      ? (items.length ? `工单号 ${number}：找到 ${items.length} 张` : `没有工单号以 ${number} 开头的工单，请核对号码。`)
      : `${items.length} 张工单${overdue ? `，${overdue} 张超过 ${ageLabel(res.data.target_minutes)} 响应时限` : ""}`;
    rememberCenters(items);
    const key = JSON.stringify([items, state.ticketId]);
    if (key === state.queueKey) return;  // unchanged: keep focus and the screen reader quiet
    state.queueKey = key;
    const focused = document.activeElement?.dataset?.ticket;
    $("queue").replaceChildren(...items.map(queueItem));
    if (!items.length) $("queue").append(el("li", {class: "placeholder"}, "没有符合条件的工单。"));
    if (focused) $("queue").querySelector(`[data-ticket="${CSS.escape(focused)}"]`)?.focus();
  }

  function rememberCenters(items) {
    const select = $("f-center");
    for (const t of items) {
      if (t.center.id && !state.centers.has(t.center.id)) {
        state.centers.set(t.center.id, t.center.name);
        select.append(el("option", {value: t.center.id}, t.center.name));
      }
    }
  }

  function ageBadge(t) {
    const cls = t.overdue ? "badge-warn" : "badge";
    return el("span", {class: `badge ${cls}`, title: t.overdue ? "已超过响应时限" : "等待时长"},
      `${t.overdue ? "超时 · " : ""}${ageLabel(t.age_minutes)}`);
  }

  function queueItem(t) {
    const btn = el("button", {class: "ticket-btn", type: "button", dataset: {ticket: t.id},
      "aria-current": t.id === state.ticketId ? "true" : null},
      el("span", {class: "ticket-top"},
        t.number ? el("span", {class: "ticket-no mono", "aria-label": `工单号 ${t.number}`}, t.number) : null,
        el("span", {class: `badge reason-${t.reason}`}, REASONS[t.reason] || t.reason),
        el("span", {class: "badge"}, STATUS[t.status]), ageBadge(t)),
      el("span", {class: "ticket-summary"}, t.summary),
      el("span", {class: "ticket-foot"}, t.center.name, t.claimed_by ? ` · ${t.claimed_by} 处理中` : "",
        ` · ${CHANNELS[t.channel] || t.channel}`));
    btn.addEventListener("click", () => openTicket(t.id));
    return el("li", {}, btn);
  }

  // The server's summary is "画像：…。最近的问题：…"; the profile panel shows the profile itself.
  const questions = (text) => text.replace(/^画像：[^。]*。/, "");
  const numberOf = (t) => t.number || t.id;

  // -- one ticket --------------------------------------------------------------------------------
  async function openTicket(id) {
    state.ticketId = id;
    $("queue-panel").classList.add("showing-ticket");
    const pane = $("ticket-pane");
    pane.replaceChildren(el("p", {class: "placeholder"}, "正在打开…"));
    const res = await api(`/api/handoffs/${encodeURIComponent(id)}`);
    if (!res.ok) return void pane.replaceChildren(el("p", {class: "placeholder"}, res.error));
    pane.replaceChildren(...ticketLayout());
    paint(res.data);
    $("t-title").focus();
    document.querySelectorAll(".ticket-btn").forEach((b) => {
      if (b.dataset.ticket === id) b.setAttribute("aria-current", "true");
      else b.removeAttribute("aria-current");
    });
  }

  async function refreshTicket() {
    const res = await api(`/api/handoffs/${encodeURIComponent(state.ticketId)}`);
    if (!res.ok || !$("t-head")) return;
    const {age_minutes: _age, ...rest} = res.data;
    const key = JSON.stringify(rest);
    if (key !== state.painted) paint(res.data);  // repaint only on change: keeps focus where it is
  }

  function ticketLayout() {
    const back = el("button", {class: "btn btn-ghost btn-small back", type: "button"}, "← 返回队列");
    back.addEventListener("click", () => {
      $("queue-panel").classList.remove("showing-ticket");
      state.ticketId = null;
    });
    const grid = el("div", {id: "t-grid", class: "t-grid", dataset: {view: "talk"}},
      el("section", {id: "t-view-talk", class: "t-main t-view", "aria-label": "对话"}, el("h3", {}, "对话"),
        el("ol", {id: "t-transcript", class: "transcript"}),
        form("t-reply", "回复创业者", "发送给创业者", "回复会出现在创业者的对话里", sendReply)),
      el("aside", {class: "t-side"},
        el("div", {id: "t-side", class: "t-view", "aria-label": "创业者情况"}),
        el("div", {id: "t-view-notes", class: "t-view", "aria-label": "备注和结案"},
          el("section", {class: "panel", "aria-labelledby": "t-notes-title"},
            el("h3", {id: "t-notes-title"}, "内部备注", el("span", {class: "muted small"}, "（创业者看不到）")),
            el("ul", {id: "t-notes", class: "notes"}),
            form("t-note", "添加备注", "添加备注", "例如：已电话联系，等对方补材料", (text) => act("note", {text}, "已添加备注"))),
          form("t-resolve", "结案", "结案", "处理结果，例如：已说明申报流程", (outcome) => act("resolve", {outcome}, "已结案"), true))));
    return [back, el("div", {id: "t-head", class: "t-head"}), el("div", {id: "t-alert"}), viewTabs(grid), grid];
  }

  // On a phone the ticket is three views (talk, founder, notes) so the reply box and the actions
  // never sit below a long transcript; on a desktop all three show side by side and the tabs hide.
  const VIEWS = [["talk", "对话"], ["founder", "创业者情况"], ["notes", "备注 · 结案"]];
  function viewTabs(grid) {
    const bar = el("div", {class: "t-tabs", role: "tablist", "aria-label": "工单内容"});
    for (const [name, label] of VIEWS) {
      const b = el("button", {class: "t-tab", type: "button", role: "tab", id: `t-tab-${name}`,
        "aria-selected": String(name === "talk")}, label);
      b.addEventListener("click", () => {
        grid.dataset.view = name;
        bar.querySelectorAll(".t-tab").forEach((x) => x.setAttribute("aria-selected", String(x === b)));
      });
      bar.append(b);
    }
    return bar;
  }

  // An open ticket is claimed by replying to it: one tap for the phone, not two.
  async function sendReply(text) {
    if (state.status === "open") {
      const res = await post(`/api/handoffs/${encodeURIComponent(state.ticketId)}/claim`);
      if (!res.ok) {
        await Promise.all([refreshTicket(), loadQueue()]);
        return {ok: false, error: res.error};
      }
    }
    return act("reply", {text}, "已发送");
  }

  function form(id, label, button, placeholder, onSend, single = false) {
    const field = single
      ? el("input", {id: `${id}-text`, type: "text", maxlength: 1000, placeholder, required: true})
      : el("textarea", {id: `${id}-text`, class: "field", rows: 3, maxlength: 4000, placeholder, required: true});
    const status = el("p", {class: "form-status", role: "status"});
    const f = el("form", {id, class: "stack t-form"}, el("label", {for: `${id}-text`}, label), field,
      el("button", {id: `${id}-send`, class: `btn ${single ? "btn-outline" : "btn-primary"}`, type: "submit"}, button), status);
    f.addEventListener("submit", async (e) => {
      e.preventDefault();
      const value = field.value.trim();
      if (!value) return;
      const res = await onSend(value);
      status.textContent = res.ok ? res.message : res.error;
      status.classList.toggle("error", !res.ok);
      if (res.ok) field.value = "";
    });
    return f;
  }

  async function act(what, body, message) {
    const res = await post(`/api/handoffs/${encodeURIComponent(state.ticketId)}/${what}`, body);
    if (res.status === 401) showLogin();
    await Promise.all([refreshTicket(), loadQueue()]);
    return {ok: res.ok, error: res.error, message};
  }

  function paint(t) {
    const {age_minutes: _age, ...rest} = t;
    state.painted = JSON.stringify(rest);
    state.status = t.status;
    $("t-reply-send").textContent = t.status === "open" ? "认领并发送" : "发送给创业者";
    paintHead(t);
    $("t-alert").replaceChildren(t.delivery_failed
      ? el("p", {class: "alert", role: "alert"}, `有回复没能送达创业者（${CHANNELS[t.channel] || t.channel} 投递失败），请改用电话联系：`, t.center.contact)
      : "");
    $("t-transcript").replaceChildren(...t.messages.map((m, i) => transcriptItem(m, t.messages[i - 1])));
    $("t-side").replaceChildren(...side(t));
    $("t-notes").replaceChildren(...t.notes.map((n) => el("li", {},
      el("p", {class: "muted small"}, `${n.staff_name || "工作人员"} · ${timeLabel(n.created_at)}`), el("p", {}, n.text))));
    const open = t.status !== "resolved";
    $("t-reply").hidden = !open;
    $("t-resolve").hidden = !open;
  }

  function paintHead(t) {
    const claim = el("button", {class: "btn btn-primary", type: "button"}, "认领");
    claim.addEventListener("click", async () => {
      const res = await post(`/api/handoffs/${encodeURIComponent(t.id)}/claim`);
      if (!res.ok) $("t-alert").replaceChildren(el("p", {class: "alert", role: "alert"}, res.error));
      await Promise.all([refreshTicket(), loadQueue()]);
    });
    const mine = t.claimed_by_id === state.me.id;
    $("t-head").replaceChildren(
      el("h2", {id: "t-title", tabindex: "-1"}, `工单 ${numberOf(t)}`),
      el("p", {class: "t-badges"}, el("span", {class: `badge reason-${t.reason}`}, REASONS[t.reason]),
        el("span", {class: "badge"}, STATUS[t.status]), ageBadge(t),
        el("span", {class: "badge t-channel"}, CHANNELS[t.channel] || t.channel),
        el("span", {class: "muted"}, `响应时限 ${ageLabel(t.target_minutes)}`)),
      el("p", {class: "t-claim"}, t.status === "open" ? claim
        : t.status === "claimed" ? `${mine ? "你" : t.claimed_by} 正在处理` : `已结案：${t.outcome || ""}`));
  }

  function transcriptItem(m, prev) {
    const head = el("p", {class: "t-who"}, m.role === "staff" ? `${m.staff_name || "工作人员"}` : ROLE[m.role],
      el("span", {class: "muted"}, ` · ${timeLabel(m.created_at)}`));
    const body = el("div", {class: "bubble-text"});
    if (m.reply) renderCited(body, m.text, m.reply.citations, showCitation);
    else body.textContent = m.text;
    const extra = [];
    if (m.role === "staff" && m.delivery) {
      // pending with a reason: not there yet (a closed reply window, a retry), said as 未送达 with why
      const held = m.delivery === "pending" && m.delivery_error;
      const [word, cls] = held ? ["未送达", "badge-warn"] : DELIVERY[m.delivery];
      extra.push(el("span", {class: `badge ${cls}`, title: m.delivery_error || ""}, word));
      if (held) extra.push(el("span", {class: "muted small delivery-why"}, m.delivery_error));
    }
    if (m.role === "assistant" && prev?.role === "founder") {
      const wrong = el("button", {class: "link small", type: "button"}, "标记答错并写正确答案");
      wrong.addEventListener("click", () => correct(prev.text, wrong));
      extra.push(wrong);
    }
    return el("li", {class: `t-msg t-${m.role}`}, head, body, extra.length ? el("p", {class: "t-extra"}, extra) : null);
  }

  function side(t) {
    const p = t.profile;
    const rows = [["赛道", p.track], ["阶段", STAGES[p.stage]], ["团队", p.team_size && `${p.team_size} 人`],
      ["需求", p.needs?.map((n) => NEEDS[n] || n).join("、")], ["区域", p.district], ["高校", p.university]].filter(([, v]) => v);
    return [
      el("section", {class: "panel"}, el("h3", {}, "建议的服务中心"), el("p", {}, t.center.name),
        el("p", {class: "muted"}, t.center.contact)),
      el("section", {class: "panel"}, el("h3", {}, "创业者情况"), rows.length
        ? el("dl", {class: "kv"}, rows.map(([k, v]) => el("div", {}, el("dt", {}, k), el("dd", {}, v))))
        : el("p", {class: "muted"}, "还不清楚。"), el("p", {class: "muted small"}, questions(t.summary))),
      el("section", {class: "panel"}, el("h3", {}, `助手引用的原文（${t.citations.length}）`),
        el("ol", {class: "cite-list"}, t.citations.map((c) => {
          const b = el("button", {class: "link", type: "button"}, `[${c.n}] ${c.title}`,
            c.sample && !c.title.includes("示例") ? "（示例）" : "");
          b.addEventListener("click", () => showCitation(c, b));
          return el("li", {}, b, el("span", {class: "muted small"}, ` ${c.section}`));
        }))),
    ];
  }

  function showCitation(c, opener) {
    $("cite-kind").textContent = `${KIND[c.kind] || "出处"}${c.sample ? " · 示例" : ""}`;
    $("cite-title").textContent = c.title;
    $("cite-where").textContent = [c.doc_number, c.section].filter(Boolean).join(" · ");
    $("cite-text").textContent = c.text;
    openDialog($("cite-dialog"), opener);
  }

  function correct(question, opener) {
    $("correct-question").value = question;
    $("correct-answer").value = "";
    $("correct-status").textContent = "";
    openDialog($("correct-dialog"), opener);
    $("correct-answer").focus();
  }

  async function saveCorrection(e) {
    e.preventDefault();
    const res = await post(`/api/handoffs/${encodeURIComponent(state.ticketId)}/correct`,
      {question: $("correct-question").value.trim(), answer: $("correct-answer").value.trim()});
    const status = $("correct-status");
    status.textContent = res.ok ? "已存为草稿：管理员审核通过后，助手才会用它回答同样的问题。" : res.error;
    status.classList.toggle("error", !res.ok);
  }

  function wire() {
    $("login-form").addEventListener("submit", login);
    $("logout-btn").addEventListener("click", logout);
    $("filters").addEventListener("change", loadQueue);
    $("filters").addEventListener("submit", (e) => { e.preventDefault(); loadQueue(); });
    let typing;
    $("f-number").addEventListener("input", () => { clearTimeout(typing); typing = setTimeout(loadQueue, 300); });
    $("tab-queue").addEventListener("click", () => showTab("queue"));
    $("tab-admin").addEventListener("click", () => showTab("admin"));
    $("tab-review").addEventListener("click", () => showTab("review"));
    $("tab-team").addEventListener("click", () => showTab("team"));
    $("correct-form").addEventListener("submit", saveCorrection);
  }

  document.addEventListener("DOMContentLoaded", start);
  return {post, del, state, showLogin};
})();
