// Shared helpers for the chat page and the staff console. Every piece of text from the server or a
// person goes into the page through textContent (el(), renderCited()), never through innerHTML.
"use strict";

const RC = (() => {
  /** Build an element: el("p", {class: "x", onclick: fn}, "text", child, ...). */
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (key.startsWith("on") && typeof value === "function") node.addEventListener(key.slice(2), value);
      else if (key === "dataset") Object.assign(node.dataset, value);
      else node.setAttribute(key, value === true ? "" : String(value));
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /** fetch + JSON, never throws: {ok, status, data, error, retryAfter}. */
  async function api(path, {method = "GET", body, headers = {}, raw = false} = {}) {
    const init = {method, headers: {...headers}, credentials: "same-origin"};
    if (body instanceof FormData) init.body = body;
    else if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers["Content-Type"] = "application/json";
    }
    let res;
    try {
      res = await fetch(path, init);
    } catch (e) {
      return {ok: false, status: 0, error: "网络连接不上，请检查网络后重试。"};
    }
    if (raw) return {ok: res.ok, status: res.status, res};
    let data = null;
    if (res.status !== 204) {
      try { data = await res.json(); } catch (e) { data = null; }
    }
    const error = res.ok ? null : (data && typeof data.detail === "string" ? data.detail : `请求失败（${res.status}）`);
    return {ok: res.ok, status: res.status, data, error, retryAfter: res.headers.get("Retry-After")};
  }

  /** Text with [n] markers → text nodes and citation buttons (onCite(n, button)). */
  function renderCited(container, text, citations, onCite) {
    const byN = new Map((citations || []).map((c) => [c.n, c]));
    const parts = String(text).split(/\[(\d+)\]/);
    parts.forEach((part, i) => {
      if (i % 2 === 0) {
        if (part) container.append(document.createTextNode(part));
        return;
      }
      const n = Number(part);
      const cite = byN.get(n);
      if (!cite) {
        container.append(document.createTextNode(`[${part}]`));
        return;
      }
      const label = `查看出处 ${n}：${cite.title}${cite.section ? "，" + cite.section : ""}`;
      const btn = el("button", {class: "cite", type: "button", "aria-label": label, title: cite.title}, String(n));
      btn.addEventListener("click", () => onCite(cite, btn));
      container.append(el("sup", {}, btn));
    });
  }

  const KIND = {policy: "政策文件", law: "法律法规", park: "园区政策包", guide: "办事指南", fund: "资金与金融工具",
    center: "服务中心", page: "网页", curated: "服务中心答复"};

  /** A modal <dialog>: Esc closes (native), focus returns to the opener. */
  function openDialog(dialog, opener) {
    dialog._opener = opener || document.activeElement;
    if (!dialog._wired) {
      dialog._wired = true;
      dialog.addEventListener("close", () => {
        const back = dialog._opener;
        if (back && document.contains(back)) back.focus();
      });
      dialog.addEventListener("click", (e) => {
        if (e.target === dialog || e.target.closest("[data-close]")) dialog.close();
      });
    }
    dialog.showModal();
  }

  function timeLabel(iso) {
    const d = new Date(iso);
    if (Number.isNaN(d.getTime())) return "";
    const today = new Date();
    const hm = d.toLocaleTimeString("zh-CN", {hour: "2-digit", minute: "2-digit"});
    if (d.toDateString() === today.toDateString()) return hm;
    return `${d.getMonth() + 1}月${d.getDate()}日 ${hm}`;
  }

  function ageLabel(minutes) {
    if (minutes < 1) return "刚刚";
    if (minutes < 60) return `${minutes} 分钟`;
    const h = Math.floor(minutes / 60);
    if (h < 48) return `${h} 小时${minutes % 60 ? ` ${minutes % 60} 分` : ""}`;
    return `${Math.floor(h / 24)} 天`;
  }

  return {el, api, renderCited, KIND, openDialog, timeLabel, ageLabel};
})();
