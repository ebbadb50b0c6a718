// Admin only: review curated answers (approve, edit, reject, disable, delete) and list staff accounts.
"use strict";

const Review = (() => {
  const {el, api} = RC;
  const $ = (id) => document.getElementById(id);
  const STATUS = {draft: ["待审核", "badge-warn"], approved: ["已发布", "badge-ok"], rejected: ["已驳回", ""],
    disabled: ["已停用", ""]};
  const when = (iso) => (iso ? new Date(iso).toLocaleString("zh-CN", {hour12: false}) : "");

  async function load() {
    const status = $("review-status").value;
    const res = await api(`/api/admin/curated?status=${encodeURIComponent(status)}`);
    if (res.status === 401) return Staff.showLogin();
    if (!res.ok) return void ($("review-summary").textContent = res.error);
    const items = res.data.items;
    $("review-summary").textContent = items.length ? `共 ${items.length} 条。` : "没有这种状态的答复。";
    $("review-list").replaceChildren(...items.map(item));
  }

  function item(c) {
    const [label, cls] = STATUS[c.status] || [c.status, ""];
    const question = el("input", {type: "text", value: c.question, maxlength: "2000", "aria-label": "问题"});
    const answer = el("textarea", {class: "field", rows: "4", maxlength: "4000", "aria-label": "答案"});
    answer.value = c.answer;
    const status = el("p", {class: "form-status", role: "status"});
    const button = (text, cls2, onclick) => el("button", {class: `btn btn-small ${cls2}`, type: "button", onclick}, text);
    const actions = [];
    if (c.status !== "approved") actions.push(button("通过并发布", "btn-primary", () => review(c, "approved", status)));
    actions.push(button("保存修改", "btn-outline", () => edit(c, question.value, answer.value, status)));
    if (c.status === "draft") actions.push(button("驳回", "btn-ghost", () => review(c, "rejected", status)));
    if (c.status === "approved") actions.push(button("停用", "btn-ghost", () => review(c, "disabled", status)));
    actions.push(button("删除", "btn-danger", () => remove(c, status)));
    const who = [`${c.author_name || "（账号已删除）"} 写于 ${when(c.created_at)}`,
      c.reviewer_name ? `${c.reviewer_name} 审核于 ${when(c.reviewed_at)}` : null, c.center_name].filter(Boolean);
    return el("li", {class: "doc curated-item", dataset: {id: c.id}},
      el("div", {class: "doc-main stack"},
        el("p", {class: "doc-title"}, `#${c.id} `, el("span", {class: `badge ${cls}`}, label)),
        el("p", {class: "muted small"}, who.join(" · ")),
        question, answer, el("div", {class: "actions"}, ...actions), status));
  }

  async function review(c, status, box) {
    const res = await Staff.post(`/api/admin/curated/${c.id}/review`, {status});
    if (!res.ok) return say(box, res.error, true);
    load();
  }

  async function edit(c, question, answer, box) {
    const res = await api(`/api/admin/curated/${c.id}`, {method: "PUT", body: {question: question.trim(), answer: answer.trim()},
      headers: {"X-CSRF-Token": Staff.state.csrf || ""}});
    if (!res.ok) return say(box, res.error, true);
    say(box, res.data.status === "draft" && c.status === "approved" ? "已保存，改动后需要重新审核。" : "已保存。");
    setTimeout(load, 800);
  }

  async function remove(c, box) {
    const res = await Staff.del(`/api/admin/curated/${c.id}`);
    if (!res.ok) return say(box, res.error, true);
    load();
  }

  function say(box, text, error = false) {
    box.textContent = text;
    box.classList.toggle("error", error);
  }

  async function loadTeam() {
    const res = await api("/api/admin/staff");
    if (res.status === 401) return Staff.showLogin();
    if (!res.ok) return void ($("team-summary").textContent = res.error);
    $("team-summary").textContent = `共 ${res.data.items.length} 个账号。`;
    $("team-list").replaceChildren(...res.data.items.map(person));
  }

  function person(s) {
    const toggle = el("button", {class: `btn btn-small ${s.disabled ? "btn-outline" : "btn-danger"}`, type: "button"},
      s.disabled ? "启用" : "停用");
    const status = el("p", {class: "form-status", role: "status"});
    toggle.addEventListener("click", async () => {
      const res = await api(`/api/admin/staff/${s.id}`, {method: "PATCH", body: {disabled: !s.disabled},
        headers: {"X-CSRF-Token": Staff.state.csrf || ""}});
      if (!res.ok) return say(status, res.error, true);
      loadTeam();
    });
    const centers = s.centers.length ? s.centers.join("、") + (s.own_centers_only ? "（只看本中心工单）" : "") : "未分配服务中心";
    return el("li", {class: "doc", dataset: {username: s.username}},
      el("div", {class: "doc-main"},
        el("p", {class: "doc-title"}, s.display_name, " ", el("span", {class: "muted small mono"}, s.username),
          s.is_admin ? el("span", {class: "badge badge-accent"}, "管理员") : null,
          s.disabled ? el("span", {class: "badge badge-warn"}, "已停用") : null),
        el("p", {class: "muted small"}, centers), status),
      toggle);
  }

  document.addEventListener("DOMContentLoaded", () => $("review-status").addEventListener("change", load));
  return {load, loadTeam};
})();
