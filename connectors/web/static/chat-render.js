// The chat page's pieces: message bubbles, answer rendering with citations, park and fund cards,
// the handoff banner, profile chips and their correction dialog. No network here (see chat.js).
"use strict";

const ChatRender = (() => {
  const {el, renderCited, KIND, openDialog, timeLabel} = RC;

  const STAGES = {idea: "想法阶段", seed: "种子期", early: "初创期", growth: "成长期"};
  const NEEDS = {space: "场地", funding: "资金", talent: "人才", compute: "算力", ip: "知识产权",
    scenarios: "应用场景", market: "市场", certification: "资质认证"};
  const TRACKS = ["人工智能", "低空经济", "生物医药", "人形机器人", "集成电路", "商业航天", "数字文创",
    "新能源", "新材料", "软件和信息服务", "智能制造", "消费零售"];
  const DISTRICTS = ["高新区", "天府新区", "东部新区", "武侯区", "锦江区", "青羊区", "金牛区", "成华区",
    "双流区", "郫都区", "龙泉驿区", "新都区", "温江区"];
  const ELIGIBILITY = {met: ["✓", "符合"], not_met: ["✗", "不符合"], unknown: ["?", "待确认"]};

  // -- the citation sheet ------------------------------------------------------------------------
  function showCitation(cite, opener) {
    const dialog = document.getElementById("cite-dialog");
    document.getElementById("cite-kind").textContent = KIND[cite.kind] || "出处";
    document.getElementById("cite-title").textContent = cite.title;
    document.getElementById("cite-number").textContent = cite.doc_number || "";
    document.getElementById("cite-number-row").hidden = !cite.doc_number;
    document.getElementById("cite-section").textContent = cite.section || "—";
    const flags = document.getElementById("cite-flags");
    flags.replaceChildren(...[
      cite.sample && el("span", {class: "badge badge-sample"}, "示例"),
      cite.sample && el("span", {class: "muted"}, "演示用的示例内容，不是正式政策。"),
      cite.pending && el("span", {class: "badge badge-warn"}, "待审核"),
      cite.pending && el("span", {class: "muted"}, "上传后还没有审核的文件，不是正式政策。"),
      cite.expired && el("span", {class: "badge badge-warn"}, "已失效"),
      cite.region && cite.region !== "成都" && el("span", {class: "badge"}, cite.region),
    ].filter(Boolean));
    flags.hidden = !flags.childElementCount;
    document.getElementById("cite-text").textContent = cite.text;
    openDialog(dialog, opener);
    dialog.querySelector("[data-close]").focus();
  }

  // -- bubbles -----------------------------------------------------------------------------------
  function bubble(role, ...content) {
    const who = {founder: "你", assistant: "蓉创助手", staff: "服务中心"}[role];
    return el("li", {class: `msg msg-${role}`}, el("span", {class: "sr-only"}, `${who}：`), ...content);
  }

  function founder(text) {
    return bubble("founder", el("div", {class: "bubble"}, text));
  }

  function staff(item) {
    const name = item.staff_name || "工作人员";
    return bubble("staff", el("div", {class: "bubble"},
      el("p", {class: "msg-meta"}, el("span", {class: "staff-tag"}, "人工"), ` ${name} · ${timeLabel(item.created_at)}`),
      el("div", {class: "bubble-text"}, item.text)));
  }

  function assistantShell() {
    const body = el("div", {class: "bubble-text"});
    const typing = el("span", {class: "typing", "aria-label": "正在回答"}, el("i"), el("i"), el("i"));
    body.append(typing);
    const box = el("div", {class: "bubble"}, body);
    return {li: bubble("assistant", box), box, body};
  }

  function streamText(shell, text) {
    shell.body.querySelector(".typing")?.remove();
    shell.body.append(document.createTextNode(text));
  }

  // -- the answer, folded to one phone screen ----------------------------------------------------
  // One phone screen (390×844 at 16px: about 20 Han characters a line, and some 15 lines left beside
  // the header, the composer and the top of the first card) reads about 300 characters. A longer answer
  // shows its blocks up to the first boundary at or after that and folds the rest behind 展开全文; the
  // cards, the checklist and the sources stay below it. The other limits follow from this one.
  const PHONE_CHARS = 300;
  const FOLD_OVER = PHONE_CHARS * 1.2; // up to 360 characters: shown whole, no button for a few more
  const SHOWN_AT_MOST = (PHONE_CHARS * 4) / 3; // a block that would take the shown part past 400 is folded
  let folds = 0;

  /** Characters a founder reads: [n] markers and white space left out. */
  function readLength(text) {
    return text.replace(/\[\d+\]/g, "").replace(/\s+/g, "").length;
  }

  /** How many of the answer's blocks are shown above the fold (all of them for a short answer). The
   * first block always is: it carries what the documents do not say, or the care line. */
  function foldAt(blocks) {
    const sizes = blocks.map(readLength);
    const total = sizes.reduce((a, b) => a + b, 0);
    if (total <= FOLD_OVER) return blocks.length;
    let shown = 0;
    let k = 0;
    while (k < blocks.length && shown < PHONE_CHARS) {
      if (shown >= PHONE_CHARS / 2 && shown + sizes[k] > SHOWN_AT_MOST) break;
      shown += sizes[k++];
    }
    return total - shown < FOLD_OVER - PHONE_CHARS ? blocks.length : k;
  }

  // Blocks are whole (a cut never splits a sentence from its [n]). The folded part stays in the DOM
  // as hidden="until-found": find-in-page reaches it and opens it (beforematch) where supported.
  function answer(body, reply) {
    const blocks = String(reply.answer).split(/\n\s*\n/);
    const k = foldAt(blocks);
    renderCited(body, blocks.slice(0, k).join("\n\n"), reply.citations, showCitation);
    if (k === blocks.length) return;
    const rest = el("div", {class: "answer-rest"});
    renderCited(rest, blocks.slice(k).join("\n\n"), reply.citations, showCitation);
    const more = el("div", {class: "answer-more", id: `answer-more-${++folds}`}, rest);
    const toggle = el("button", {class: "more-btn", type: "button", "aria-controls": more.id});
    const show = (open) => {
      if (open) more.removeAttribute("hidden");
      else more.setAttribute("hidden", "until-found");
      toggle.setAttribute("aria-expanded", String(open));
      toggle.replaceChildren(open ? "收起" : "展开全文", el("span", {class: "more-chevron", "aria-hidden": "true"}));
    };
    toggle.addEventListener("click", () => {
      const open = more.hasAttribute("hidden");
      show(open);
      if (!open) toggle.scrollIntoView({block: "nearest"}); // folding a long part must not lose the place
    });
    more.addEventListener("beforematch", () => show(true));
    show(false);
    body.append(more, toggle);
  }

  function fillAssistant(shell, reply) {
    shell.body.replaceChildren();
    answer(shell.body, reply);
    shell.box.querySelectorAll(".extras").forEach((n) => n.remove());
    const extras = el("div", {class: "extras"},
      eligibility(reply), cards("推荐园区", reply.parks, reply.citations), cards("资金和金融工具", reply.funds, reply.citations),
      sources(reply.citations));
    if (extras.childElementCount) shell.box.append(extras);
  }

  function eligibility(reply) {
    if (!reply.eligibility?.length) return null;
    const byN = new Map(reply.citations.map((c) => [c.n, c]));
    return el("ul", {class: "checklist", "aria-label": "申请条件对照"}, reply.eligibility.map((e) => {
      const [mark, word] = ELIGIBILITY[e.status] || ELIGIBILITY.unknown;
      const cite = byN.get(e.citation);
      return el("li", {class: `check check-${e.status}`}, el("span", {class: "check-mark", "aria-hidden": "true"}, mark),
        el("span", {class: "sr-only"}, `${word}：`), e.condition, cite ? citeButton(cite) : null);
    }));
  }

  function citeButton(cite) {
    const btn = el("button", {class: "cite", type: "button", "aria-label": `查看出处 ${cite.n}：${cite.title}`}, String(cite.n));
    btn.addEventListener("click", () => showCitation(cite, btn));
    return el("sup", {}, btn);
  }

  function cards(title, items, citations) {
    if (!items?.length) return null;
    const byN = new Map(citations.map((c) => [c.n, c]));
    return el("section", {class: "cards", "aria-label": title}, el("h3", {class: "cards-title"}, title),
      items.map((r) => el("article", {class: "card"},
        el("h4", {}, r.name, r.sample ? el("span", {class: "badge badge-sample"}, "示例") : null),
        el("p", {}, r.reason),
        r.citations?.length ? el("p", {class: "card-cites"}, "出处 ", r.citations.map((n) => byN.get(n))
          .filter(Boolean).map(citeButton)) : null)));
  }

  function sources(citations) {
    if (!citations?.length) return null;
    const seen = new Map();
    for (const c of citations) if (!seen.has(c.doc_id)) seen.set(c.doc_id, c);
    return el("details", {class: "sources"}, el("summary", {}, `出处（${citations.length}）`),
      el("ol", {}, citations.map((c) => {
        const btn = el("button", {class: "link", type: "button"}, `${c.title}${c.doc_number ? `（${c.doc_number}）` : ""}`,
          c.section ? ` · ${c.section}` : "");
        btn.addEventListener("click", () => showCitation(c, btn));
        return el("li", {value: c.n}, btn, c.sample ? el("span", {class: "badge badge-sample"}, "示例") : null,
          c.pending ? el("span", {class: "badge badge-warn"}, "待审核") : null);
      })));
  }

  // -- handoff banner ----------------------------------------------------------------------------
  // Polling repaints these every 2 s: skip when nothing changed, so focus stays put and a screen
  // reader does not hear the status again.
  const painted = {banner: undefined, profile: undefined};
  function changed(what, value) {
    const key = JSON.stringify(value ?? null);
    if (painted[what] === key) return false;
    painted[what] = key;
    return true;
  }

  // Shown in full when it is news (a new ticket, or staff took it); once read (the founder
  // writes again, taps it, or it has been on screen a while) it folds to one line.
  const READ_KEY = "rongchuang.banner-read";
  const READ_AFTER_MS = 8000;
  let readTimer = null;

  function banner(handoff) {
    if (!changed("banner", handoff)) return;
    const node = document.getElementById("handoff-banner");
    const button = document.getElementById("handoff-btn");
    node.hidden = !handoff;
    button.disabled = Boolean(handoff);
    button.textContent = handoff ? "已转人工" : "转人工";
    clearTimeout(readTimer);
    if (!handoff) return;
    const number = handoff.number || handoff.id;
    const claimed = handoff.status === "claimed";
    const toggle = el("button", {class: "banner-line", type: "button", "aria-controls": "banner-more"},
      el("span", {class: "banner-dot", "aria-hidden": "true"}),
      el("span", {class: "banner-title"}, "已转人工"),
      el("span", {class: "banner-number"}, `工单号 ${number}`),
      el("span", {class: "banner-status"}, claimed ? "工作人员正在处理" : "等待接单"),
      el("span", {class: "banner-chevron", "aria-hidden": "true"}));
    const more = el("p", {id: "banner-more", class: "banner-more"},
      `${handoff.center.name}的工作人员会在这个对话里回复你。打电话咨询时，报工单号 ${number} 就能查到。`);
    node.replaceChildren(toggle, more);
    node.dataset.key = `${handoff.id}:${handoff.status}`;
    fold(localStorage.getItem(READ_KEY) === node.dataset.key);
    toggle.addEventListener("click", () => {
      fold(node.dataset.collapsed !== "true");
      markRead();
    });
    if (node.dataset.collapsed !== "true") readTimer = setTimeout(bannerRead, READ_AFTER_MS);
  }

  function fold(collapsed) {
    const node = document.getElementById("handoff-banner");
    node.dataset.collapsed = String(collapsed);
    node.querySelector(".banner-line")?.setAttribute("aria-expanded", String(!collapsed));
  }

  function markRead() {
    const key = document.getElementById("handoff-banner").dataset.key;
    if (key) localStorage.setItem(READ_KEY, key);
  }

  /** The founder has seen the banner: fold it to its one line. */
  function bannerRead() {
    const node = document.getElementById("handoff-banner");
    if (node.hidden || node.dataset.collapsed === "true") return;
    fold(true);
    markRead();
  }

  // -- profile chips -----------------------------------------------------------------------------
  function chipsFor(p) {
    const chips = [];
    if (p.track) chips.push(["赛道", p.track, {options: TRACKS.map((t) => [t, `我们的赛道是${t}`]), write: (v) => `我们的赛道是${v}`}]);
    if (p.stage) chips.push(["阶段", STAGES[p.stage], {options: Object.values(STAGES).map((s) => [s, `我们现在处于${s}`])}]);
    if (p.team_size) chips.push(["团队", `${p.team_size} 人`, {options: [1, 2, 3, 5, 10, 20].map((n) => [`${n} 人`, `我们团队有${n}个人`]),
      write: (v) => `我们团队有${v}个人`}]);
    for (const n of p.needs || []) {
      const label = NEEDS[n] || n;
      chips.push(["需求", label, {options: [[`不需要${label}`, `我们不需要${label}`],
        ...Object.values(NEEDS).filter((x) => x !== label).map((x) => [`还需要${x}`, `我们需要${x}`])]}]);
    }
    if (p.district) chips.push(["区", p.district, {options: DISTRICTS.map((d) => [d, `我们在${d}`]), write: (v) => `我们在${v}`}]);
    if (p.university) chips.push(["高校", p.university, {write: (v) => `我们团队来自${v}`}]);
    const flags = [["first_time", "首次创业", "连续创业", "我是第一次创业", "我之前创过业"],
      ["registered_in_chengdu", "已在成都注册", "未在成都注册", "公司已经在成都注册了", "公司还没有在成都注册"],
      ["has_ip", "有知识产权", "暂无知识产权", "我们有专利", "我们还没有专利"],
      ["has_revenue", "已有收入", "暂无收入", "我们已经有收入了", "我们还没有收入"]];
    for (const [key, yes, no, sayYes, sayNo] of flags) {
      if (p[key] === null || p[key] === undefined) continue;
      chips.push(["", p[key] ? yes : no, {options: [[yes, sayYes], [no, sayNo]]}]);
    }
    return chips;
  }

  function profile(p, send) {
    if (!changed("profile", p)) return;
    const bar = document.getElementById("profile-bar");
    const list = document.getElementById("profile-chips");
    const chips = p ? chipsFor(p) : [];
    bar.hidden = !chips.length;
    list.replaceChildren(...chips.map(([label, value, how]) => {
      const text = label ? `${label}：${value}` : value;
      const btn = el("button", {class: "chip", type: "button", "aria-label": `${text}，点一下更正`}, text);
      btn.addEventListener("click", () => correct(label || value, value, how, btn, send));
      return el("li", {}, btn);
    }));
  }

  function correct(label, value, how, opener, send) {
    const dialog = document.getElementById("profile-dialog");
    document.getElementById("profile-title").textContent = `更正：${label}`;
    const choose = (message) => { dialog.close(); send(message); };
    document.getElementById("profile-options").replaceChildren(...(how.options || [])
      .filter(([shown]) => shown !== value)
      .map(([shown, message]) => el("button", {class: "option", type: "button", onclick: () => choose(message)}, shown)));
    const form = document.getElementById("profile-form");
    const field = document.getElementById("profile-input");
    field.value = "";
    field.placeholder = how.write ? `自己写${label}` : "自己写，例如：我们其实是做医疗器械的";
    form.onsubmit = (e) => {
      e.preventDefault();
      const v = field.value.trim();
      if (v) choose(how.write ? how.write(v) : v);
    };
    openDialog(dialog, opener);
    (dialog.querySelector(".option") || field).focus();
  }

  return {founder, staff, assistantShell, streamText, fillAssistant, banner, bannerRead, profile, showCitation};
})();
