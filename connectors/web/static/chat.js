// The founder's chat: send (streamed), poll for staff replies, hand off, delete. The session id is a
// bearer secret: it lives only in this browser's localStorage and in request paths/bodies.
"use strict";

(() => {
  const {api} = RC;
  const R = ChatRender;
  const KEY = "rongchuang.session";
  const POLL_MS = 2000;
  const HIDDEN_POLL_MS = 10000;
  const $ = (id) => document.getElementById(id);

  const state = {
    session: localStorage.getItem(KEY),
    lastId: 0,
    pending: [], // bubbles shown before the server gave them an id: [{role, li}]
    sending: false,
    maxChars: 2000,
    timer: null,
  };
  const log = $("log");
  const input = $("composer-input");
  const statusLine = $("composer-status");

  function setSession(id) {
    state.session = id;
    if (id) localStorage.setItem(KEY, id);
    else localStorage.removeItem(KEY);
  }

  function announce(text) {
    const node = $("announcer");
    node.textContent = "";
    setTimeout(() => { node.textContent = text; }, 50);
  }

  function say(text, isError = false) {
    statusLine.textContent = text || "";
    statusLine.classList.toggle("error", Boolean(isError));
  }

  function add(li) {
    $("empty").hidden = true;
    log.append(li);
    reveal(li);
  }

  // Bring a new message into view: its end if it fits, else its start (long answers read top-down).
  function reveal(li) {
    const tall = li.getBoundingClientRect().height > window.innerHeight * 0.55;
    const smooth = !window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    li.scrollIntoView({block: tall ? "start" : "end", behavior: smooth ? "smooth" : "auto"});
  }

  // -- sending -----------------------------------------------------------------------------------
  async function send(text) {
    text = text.trim();
    if (!text || state.sending) return;
    if (text.length > state.maxChars) {
      say(`消息太长了（${text.length} 字），请控制在 ${state.maxChars} 字以内。`, true);
      return;
    }
    state.sending = true;
    setBusy(true);
    say("");
    R.bannerRead();
    const mine = {role: "founder", li: R.founder(text)};
    const shell = R.assistantShell();
    const theirs = {role: "assistant", li: shell.li};
    add(mine.li);
    add(shell.li);
    state.pending.push(mine, theirs);
    const result = await stream(text, shell);
    if (result.reply) {
      done(shell, result.reply);
    } else {
      state.pending = state.pending.filter((p) => p !== mine && p !== theirs);
      shell.li.remove();
      mine.li.classList.add("failed");
      mine.li.append(RC.el("p", {class: "msg-error"}, `没有发出：${result.error}`));
      say(result.error, true);
      if (result.status !== 413 && result.status !== 422) input.value = input.value || text;
    }
    state.sending = false;
    setBusy(false);
    poll();
  }

  async function stream(text, shell) {
    let res;
    try {
      res = await fetch("/api/chat/stream", {
        method: "POST", credentials: "same-origin",
        headers: {"Content-Type": "application/json", "Accept": "text/event-stream"},
        body: JSON.stringify({message: text, session_id: state.session}),
      });
    } catch (e) {
      return {error: "网络连接不上，请检查网络后重试。"};
    }
    if (!res.ok) {
      const data = await res.json().catch(() => null);
      return {status: res.status, error: data?.detail || `发送失败（${res.status}）`};
    }
    let reply = null;
    await readEvents(res, (name, data) => {
      if (name === "meta" && data.session_id) setSession(data.session_id);
      else if (name === "delta") R.streamText(shell, data.text);
      else if (name === "done") reply = data;
    });
    return reply ? {reply} : {error: "回答没有收完整，请重试。"};
  }

  async function readEvents(res, onEvent) {
    const reader = res.body.getReader();
    const decoder = new TextDecoder();
    let buffer = "";
    for (;;) {
      const {done, value} = await reader.read().catch(() => ({done: true}));
      if (value) buffer += decoder.decode(value, {stream: true});
      let cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        let name = "message";
        const data = [];
        for (const line of frame.split("\n")) {
          if (line.startsWith("event:")) name = line.slice(6).trim();
          else if (line.startsWith("data:")) data.push(line.slice(5).trimStart());
        }
        try { onEvent(name, JSON.parse(data.join("\n"))); } catch (e) { /* a broken frame: skip it */ }
      }
      if (done) return;
    }
  }

  function done(shell, reply) {
    setSession(reply.session_id);
    R.fillAssistant(shell, reply);
    reveal(shell.li);
    R.profile(reply.profile, send);
    if (reply.handoff) R.banner(reply.handoff);
    announce(`蓉创助手：${reply.answer.replace(/\[\d+\]/g, "")}`);
  }

  function setBusy(busy) {
    $("send-btn").disabled = busy;
    $("send-btn").textContent = busy ? "回答中…" : "发送";
    log.setAttribute("aria-busy", String(busy));
  }

  // -- polling: staff replies, and ids for what we showed --------------------------------------
  async function poll() {
    clearTimeout(state.timer);
    if (state.session && !state.sending) {
      const res = await api(`/api/sessions/${encodeURIComponent(state.session)}/messages?after=${state.lastId}`);
      if (res.ok) apply(res.data);
      else if (res.status === 404) forget("这个对话已不存在（可能已删除或超过保存期），可以重新开始提问。");
    }
    state.timer = setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
  }

  function apply(conv) {
    for (const item of conv.items) {
      state.lastId = Math.max(state.lastId, item.id);
      const i = state.pending.findIndex((p) => p.role === item.role);
      if (item.role !== "staff" && i >= 0) {
        state.pending.splice(i, 1);
        continue;
      }
      if (item.role === "founder") add(R.founder(item.text));
      else if (item.role === "staff") {
        add(R.staff(item));
        announce(`${item.staff_name || "工作人员"}回复：${item.text}`);
      } else if (item.role === "assistant") {
        const shell = R.assistantShell();
        add(shell.li);
        if (item.reply) R.fillAssistant(shell, item.reply);
        else { shell.body.replaceChildren(); R.streamText(shell, item.text); }
      }
    }
    R.banner(conv.handoff);
    R.profile(conv.profile, send);
    document.querySelectorAll("[data-retention]").forEach((n) => { n.textContent = conv.retention_days; });
  }

  function forget(message) {
    setSession(null);
    state.lastId = 0;
    state.pending = [];
    log.replaceChildren();
    $("empty").hidden = false;
    R.banner(null);
    R.profile(null, send);
    if (message) say(message);
  }

  // -- buttons -----------------------------------------------------------------------------------
  async function handoff() {
    if (!state.session) {
      await send("我想转人工，请帮我联系服务中心。");
      return;
    }
    const btn = $("handoff-btn");
    btn.disabled = true;
    const res = await api(`/api/sessions/${encodeURIComponent(state.session)}/handoff`, {method: "POST"});
    if (!res.ok) {
      btn.disabled = false;
      say(res.error, true);
      return;
    }
    const shell = R.assistantShell();
    state.pending.push({role: "assistant", li: shell.li});
    add(shell.li);
    done(shell, res.data);
    poll();
  }

  async function deleteConversation() {
    const status = $("privacy-status");
    if (!state.session) {
      status.textContent = "这台设备上没有保存的对话。";
      return;
    }
    const res = await api(`/api/sessions/${encodeURIComponent(state.session)}`, {method: "DELETE"});
    if (res.ok || res.status === 404) {
      forget();
      status.textContent = "已删除这段对话和相关信息。";
      announce("已删除你的对话。");
    } else {
      status.textContent = res.error;
    }
    $("delete-confirm").hidden = true;
    $("delete-btn").hidden = false;
  }

  function wire() {
    $("composer").addEventListener("submit", (e) => {
      e.preventDefault();
      const text = input.value;
      input.value = "";
      grow();
      send(text);
    });
    input.addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
        e.preventDefault();
        $("composer").requestSubmit();
      }
    });
    input.addEventListener("input", () => {
      grow();
      const left = state.maxChars - input.value.length;
      say(left < 200 ? `还能输入 ${Math.max(0, left)} 字` : "");
    });
    document.querySelectorAll(".starter").forEach((b) => b.addEventListener("click", () => send(b.textContent)));
    $("handoff-btn").addEventListener("click", handoff);
    $("privacy-btn").addEventListener("click", (e) => {
      $("privacy-status").textContent = "";
      RC.openDialog($("privacy-dialog"), e.currentTarget);
    });
    $("delete-btn").addEventListener("click", () => {
      $("delete-btn").hidden = true;
      $("delete-confirm").hidden = false;
      $("delete-confirm").focus();
    });
    $("delete-confirm").addEventListener("click", deleteConversation);
    document.addEventListener("visibilitychange", () => { if (!document.hidden) poll(); });
  }

  function grow() {
    input.style.height = "auto";
    input.style.height = `${Math.min(input.scrollHeight, 160)}px`;
  }

  async function init() {
    wire();
    const health = await api("/api/health");
    if (health.ok) {
      state.maxChars = health.data.max_message_chars || state.maxChars;
      input.maxLength = state.maxChars;
      document.querySelectorAll("[data-retention]").forEach((n) => { n.textContent = health.data.retention_days; });
    }
    poll();
  }

  init();
})();
