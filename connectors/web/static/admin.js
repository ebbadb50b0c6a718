// Knowledge admin (admin staff only): upload with progress, list documents with validity, remove.
"use strict";

const Admin = (() => {
  const {el, api} = RC;
  const $ = (id) => document.getElementById(id);
  const KINDS = {policy: "政策", law: "法规", park: "园区", guide: "指南", fund: "资金", center: "服务中心", page: "网页",
    curated: "答复"};
  const ORDER = ["policy", "guide", "park", "fund", "center", "curated", "law", "page"];
  let polling = null;
  let docs = [];

  async function load() {
    const res = await api("/api/admin/documents");
    if (res.status === 401) return Staff.showLogin();
    if (!res.ok) return void ($("docs-summary").textContent = res.error);
    const rank = (d) => (ORDER.includes(d.kind) ? ORDER.indexOf(d.kind) : ORDER.length);
    docs = res.data.sort((a, b) => rank(a) - rank(b) || a.title.localeCompare(b.title, "zh-CN"));
    render();
  }

  function render() {
    const q = $("docs-filter").value.trim().toLowerCase();
    const shown = q ? docs.filter((d) => [d.title, d.doc_number, d.doc_id].some((v) => v && v.toLowerCase().includes(q))) : docs;
    const invalid = docs.filter((d) => !d.valid).length;
    $("docs-summary").textContent = `共 ${docs.length} 个文件${invalid ? `，其中 ${invalid} 个已失效` : ""}`
      + (q ? `；筛选出 ${shown.length} 个。` : "。");
    $("docs").replaceChildren(...shown.map(docItem));
  }

  function validity(d) {
    const range = d.effective_from || d.effective_to ? `${d.effective_from || "…"} 至 ${d.effective_to || "长期"}` : "未注明有效期";
    return el("span", {class: "doc-valid"}, el("span", {class: `badge ${d.valid ? "badge-ok" : "badge-warn"}`},
      d.valid ? "有效" : d.superseded_by ? "已被取代" : "已失效"), ` ${range}`);
  }

  function docItem(d) {
    const remove = el("button", {class: "btn btn-danger btn-small", type: "button", "aria-label": `删除 ${d.title}`}, "删除");
    remove.addEventListener("click", () => confirmRemove(d, remove));
    return el("li", {class: "doc"},
      el("div", {class: "doc-main"},
        el("p", {class: "doc-title"}, d.title, d.sample ? el("span", {class: "badge badge-sample"}, "示例") : null,
          d.uploaded ? el("span", {class: "badge badge-accent"}, "上传") : null,
          d.review === "pending" ? el("span", {class: "badge badge-warn"}, "待审核") : null),
        d.flagged ? el("p", {class: "small error doc-flagged"},
          `导入检查：${d.flagged} 段含${d.flags.join("、")}，不会出现在回答里。请核对原文。`) : null,
        el("p", {class: "muted small"}, [KINDS[d.kind] || d.kind, d.doc_number, d.issuer, `${d.passages} 段`]
          .filter(Boolean).join(" · ")),
        el("p", {class: "small"}, validity(d)),
        el("p", {class: "muted small mono"}, d.doc_id),
        d.review === "pending" ? confirmForm(d) : null),
      remove);
  }

  // An upload is cited as 待审核 until an admin checks its title, 文号 and issuer against the original.
  function confirmForm(d) {
    const field = (name, label, value) => el("label", {class: "small"}, label,
      el("input", {name, value: value || "", maxlength: name === "title" ? 200 : 100, required: name === "title"}));
    const form = el("form", {class: "doc-confirm"}, field("title", "标题", d.title),
      field("doc_number", "文号", d.doc_number), field("issuer", "发文单位", d.issuer),
      el("button", {class: "btn btn-small", type: "submit"}, "核对无误，确认"));
    form.addEventListener("submit", async (e) => {
      e.preventDefault();
      const data = Object.fromEntries(new FormData(form));
      const res = await Staff.post(`/api/admin/documents/${encodeURIComponent(d.doc_id)}/confirm`, data);
      $("docs-summary").textContent = res.ok ? `已确认「${res.data.title}」。` : res.error;
      if (res.ok) load();
    });
    return form;
  }

  function confirmRemove(d, button) {
    if (button.dataset.armed) {
      removeDoc(d);
      return;
    }
    button.dataset.armed = "1";
    button.textContent = "确定删除？";
    button.classList.add("btn-danger-solid");
    setTimeout(() => {
      if (!document.contains(button)) return;
      delete button.dataset.armed;
      button.textContent = "删除";
      button.classList.remove("btn-danger-solid");
    }, 4000);
  }

  async function removeDoc(d) {
    const res = await Staff.del(`/api/admin/documents/${encodeURIComponent(d.doc_id)}`);
    $("docs-summary").textContent = res.ok ? `已删除「${d.title}」。` : res.error;
    if (res.ok) load();
  }

  async function upload(e) {
    e.preventDefault();
    const file = $("upload-file").files[0];
    if (!file) return;
    const body = new FormData();
    body.append("file", file);
    show(0, `正在上传 ${file.name}…`);
    const res = await api("/api/admin/documents", {method: "POST", body, headers: {"X-CSRF-Token": Staff.state.csrf || ""}});
    if (!res.ok) return show(null, res.error, true);
    $("upload-form").reset();
    $("upload-name").textContent = "还没有选择文件";
    follow(res.data.id);
  }

  function show(percent, text, error = false) {
    $("upload-progress").hidden = false;
    const bar = $("upload-bar");
    bar.hidden = percent === null;
    if (percent !== null) bar.value = percent;
    $("upload-status").textContent = text;
    $("upload-status").classList.toggle("error", error);
  }

  function follow(jobId) {
    clearInterval(polling);
    polling = setInterval(async () => {
      const res = await api(`/api/admin/jobs/${encodeURIComponent(jobId)}`);
      if (!res.ok) {
        clearInterval(polling);
        return show(null, res.error, true);
      }
      const j = res.data;
      const pct = j.passages ? Math.round((100 * j.done_passages) / j.passages) : 0;
      if (j.status === "done") {
        clearInterval(polling);
        show(100, `「${j.filename}」已导入：${j.passages} 段，待管理员审核后按正式文件引用。`
          + (j.flagged.length ? ` 注意：${j.flagged.join("；")}。` : ""), j.flagged.length > 0);
        load();
      } else if (j.status === "failed") {
        clearInterval(polling);
        show(null, j.error, true);
      } else {
        show(pct, j.status === "queued" ? "排队中…" : `正在导入：${j.done_passages}/${j.passages} 段`);
      }
    }, 800);
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("upload-form").addEventListener("submit", upload);
    $("docs-refresh").addEventListener("click", load);
    $("docs-filter").addEventListener("input", render);
    $("upload-file").addEventListener("change", () => {
      const file = $("upload-file").files[0];
      $("upload-name").textContent = file ? `${file.name}（${Math.max(1, Math.round(file.size / 1024))} KB）` : "还没有选择文件";
    });
  });
  return {load};
})();
