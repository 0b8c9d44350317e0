// Entity spans in the review queue's annotation form.
//
// The message is a textarea that refuses edits, so both the mouse and the
// keyboard (Shift + arrow keys) can select words in it. "标注选中文字" turns the
// selection into a span of the chosen type; spans are shown highlighted and
// listed with a remove button, and kept as JSON in the form's hidden
// "entities" field. Offsets are code points, as Python counts them.
"use strict";

(function () {
  const form = document.getElementById("label-form");
  if (!form) {
    return;
  }
  const source = document.getElementById("message-source");
  const field = document.getElementById("entities-field");
  const typeSelect = document.getElementById("entity-type");
  const addButton = document.getElementById("add-entity");
  const preview = document.getElementById("preview");
  const list = document.getElementById("span-list");
  const status = document.getElementById("entity-status");
  const selectionStatus = document.getElementById("selection-status");
  const original = source.value;
  const chars = Array.from(original);
  let spans = [];

  function readSpans() {
    try {
      const data = JSON.parse(field.value || "[]");
      return Array.isArray(data) ? data : [];
    } catch (error) {
      return [];
    }
  }

  // A UTF-16 index of the textarea as a code point index.
  function codePoint(index) {
    return Array.from(source.value.slice(0, index)).length;
  }

  function words(span) {
    return chars.slice(span.start, span.end).join("");
  }

  function typeName(entity) {
    const option = Array.from(typeSelect.options).find((o) => o.value === entity);
    return option ? option.textContent : entity;
  }

  function selection() {
    let start = codePoint(source.selectionStart);
    let end = codePoint(source.selectionEnd);
    while (start < end && /\s/.test(chars[start])) {
      start += 1;
    }
    while (end > start && /\s/.test(chars[end - 1])) {
      end -= 1;
    }
    return { start: start, end: end };
  }

  function showSelection() {
    const picked = selection();
    selectionStatus.textContent =
      picked.start < picked.end
        ? "已选中：“" + words(picked) + "”（第 " + (picked.start + 1) + "–" + picked.end + " 个字）"
        : "尚未选中文字。";
  }

  function renderPreview() {
    preview.replaceChildren();
    let position = 0;
    spans.forEach((span) => {
      preview.append(chars.slice(position, span.start).join(""));
      const mark = document.createElement("mark");
      mark.textContent = words(span);
      mark.dataset.entity = span.entity;
      mark.setAttribute("data-testid", "span-mark");
      mark.title = typeName(span.entity);
      preview.append(mark);
      const tag = document.createElement("span");
      tag.className = "queue-tag";
      tag.textContent = span.entity;
      preview.append(tag);
      position = span.end;
    });
    preview.append(chars.slice(position).join(""));
  }

  function renderList() {
    list.replaceChildren();
    spans.forEach((span, index) => {
      const item = document.createElement("li");
      item.setAttribute("data-testid", "span");
      item.dataset.entity = span.entity;
      item.append(typeName(span.entity) + "：“" + words(span) + "” ");
      const remove = document.createElement("button");
      remove.type = "button";
      remove.textContent = "删除";
      remove.setAttribute("aria-label", "删除实体 " + span.entity + "“" + words(span) + "”");
      remove.setAttribute("data-testid", "remove-span");
      remove.addEventListener("click", () => {
        spans.splice(index, 1);
        update("已删除实体 " + span.entity + "“" + words(span) + "”。");
        addButton.focus();
      });
      item.append(remove);
      list.append(item);
    });
    if (spans.length === 0) {
      const empty = document.createElement("li");
      empty.textContent = "暂无实体。";
      list.append(empty);
    }
  }

  function update(message) {
    spans.sort((a, b) => a.start - b.start);
    field.value = JSON.stringify(spans);
    renderPreview();
    renderList();
    if (message) {
      status.textContent = message;
    }
  }

  function addSpan() {
    const picked = selection();
    if (picked.start >= picked.end) {
      status.textContent = "请先在消息原文中选中要标注的文字。";
      source.focus();
      return;
    }
    const clash = spans.find((s) => picked.start < s.end && s.start < picked.end);
    if (clash) {
      status.textContent =
        "选中的文字与已标注的“" + words(clash) + "”（" + clash.entity + "）重叠，请先删除它或重新选择。";
      return;
    }
    const span = { start: picked.start, end: picked.end, entity: typeSelect.value };
    spans.push(span);
    update("已标注 " + span.entity + "：“" + words(span) + "”。");
  }

  spans = readSpans().filter(
    (s) => Number.isInteger(s.start) && Number.isInteger(s.end) && s.start < s.end
  );
  // Chromium moves no caret in a read-only textarea: make it editable for the
  // keyboard's sake, and refuse every edit so the text stays as logged.
  source.readOnly = false;
  source.setAttribute("aria-readonly", "true");
  source.addEventListener("beforeinput", (event) => event.preventDefault());
  source.addEventListener("input", () => {
    source.value = original;
  });
  addButton.addEventListener("click", addSpan);
  source.addEventListener("select", showSelection);
  source.addEventListener("keyup", showSelection);
  source.addEventListener("mouseup", showSelection);
  source.addEventListener("keydown", (event) => {
    // Enter in the message marks the selection with the chosen type.
    if (event.key === "Enter") {
      event.preventDefault();
      addSpan();
    }
  });
  update("");
})();
