// Web chat widget of the government-service assistant.
// Every text from the citizen or the bot is inserted with textContent (never
// innerHTML); links and images must be http(s). A message keeps its message_id
// across retries, so the gateway answers a resent message once.
(function () {
  "use strict";

  var KEY_CONVERSATION = "govbot.chat.conversation";
  var KEY_ELDER = "govbot.chat.elder";
  var RETRY_DELAYS_MS = [800, 2000];
  // While a person (人工客服) has the conversation, their messages arrive by polling.
  var STAFF_POLL_MS = 3000;
  var STAFF_POLL_ERROR_MS = 10000;

  var log = document.getElementById("log");
  var form = document.getElementById("composer");
  var input = document.getElementById("input");
  var sendButton = document.getElementById("send");
  var typing = document.getElementById("typing");
  var statusLine = document.getElementById("status");
  var welcome = document.getElementById("welcome");
  var elderToggle = document.getElementById("elder-toggle");
  var newConversation = document.getElementById("new-conversation");

  var conversationId = null;
  var busy = false;
  var pending = null; // the last message not yet answered: {body, bubble, failed}
  var staff = { on: false, timer: null, cursor: null, conversation: null };

  function storageGet(key) {
    try { return window.localStorage.getItem(key); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, value); } catch (e) { /* private mode */ }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* private mode */ }
  }

  function uuid4() {
    var b = window.crypto.getRandomValues(new Uint8Array(16));
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) {
      return x.toString(16).padStart(2, "0");
    }).join("");
    return h.slice(0, 8) + "-" + h.slice(8, 12) + "-" + h.slice(12, 16) + "-" +
      h.slice(16, 20) + "-" + h.slice(20);
  }
  var UUID4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  function webUrl(url) {
    try {
      var parsed = new URL(url);
      return parsed.protocol === "https:" || parsed.protocol === "http:" ? parsed.href : null;
    } catch (e) {
      return null;
    }
  }

  function sleep(ms) {
    return new Promise(function (resolve) { window.setTimeout(resolve, ms); });
  }

  function setStatus(text) { statusLine.textContent = text || ""; }

  function setTyping(on) {
    typing.hidden = !on;
    log.setAttribute("aria-busy", on ? "true" : "false");
  }

  function setBusy(on) {
    busy = on;
    sendButton.setAttribute("aria-disabled", on ? "true" : "false");
  }

  function element(tag, className, testId) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (testId) { node.setAttribute("data-testid", testId); }
    return node;
  }

  function scrollToEnd(node) {
    if (node && node.scrollIntoView) { node.scrollIntoView({ block: "end" }); }
  }

  function deactivateChoices() {
    var buttons = log.querySelectorAll("button[data-testid='choice-button']");
    Array.prototype.forEach.call(buttons, function (b) { b.disabled = true; });
  }

  function renderChoices(item, choices, active) {
    var group = element("div", "choices", "choices");
    group.setAttribute("role", "group");
    group.setAttribute("aria-label", "可选项");
    choices.forEach(function (choice) {
      var button = element("button", "choice", "choice-button");
      button.type = "button";
      button.textContent = choice.title;
      button.disabled = !active;
      button.addEventListener("click", function () { choose(group, button, choice); });
      group.appendChild(button);
    });
    item.appendChild(group);
  }

  function renderLinks(item, links) {
    var list = element("ul", "links", null);
    links.forEach(function (link) {
      var href = webUrl(link.url);
      if (!href) { return; }
      var entry = document.createElement("li");
      var anchor = element("a", "link", "link");
      anchor.href = href;
      anchor.target = "_blank";
      anchor.rel = "noopener noreferrer";
      anchor.textContent = link.title || href;
      entry.appendChild(anchor);
      list.appendChild(entry);
    });
    if (list.childNodes.length) { item.appendChild(list); }
  }

  // role: "user" | "bot"; reply: {text, choices, links, image_url}.
  function addMessage(role, reply, active) {
    welcome.hidden = true;
    var item = element("li", "message " + role, "message");
    item.setAttribute("data-role", role);
    var who = element("span", "visually-hidden", null);
    who.textContent = role === "user" ? "我说：" : "助手说：";
    item.appendChild(who);
    if (reply.text) {
      var text = element("p", "text", "message-text");
      text.textContent = reply.text;
      item.appendChild(text);
    }
    var image = reply.image_url ? webUrl(reply.image_url) : null;
    if (image) {
      var img = element("img", "image", "message-image");
      img.src = image;
      img.alt = "图片";
      img.loading = "lazy";
      img.referrerPolicy = "no-referrer";
      item.appendChild(img);
    }
    if (reply.links && reply.links.length) { renderLinks(item, reply.links); }
    if (reply.choices && reply.choices.length) { renderChoices(item, reply.choices, active); }
    log.appendChild(item);
    scrollToEnd(item);
    return item;
  }

  function markFailed(p) {
    p.failed = true;
    p.bubble.setAttribute("data-state", "failed");
    if (!p.bubble.querySelector("[data-testid='retry-button']")) {
      var retry = element("button", "retry", "retry-button");
      retry.type = "button";
      retry.textContent = "重试";
      retry.setAttribute("aria-label", "重新发送这条消息");
      retry.addEventListener("click", function () {
        if (!busy && pending === p) { deliver(p); }
      });
      p.bubble.appendChild(retry);
    }
    setStatus("网络异常，消息没有发送成功。请检查网络后点击“重试”。");
  }

  function markSent(p) {
    p.failed = false;
    p.bubble.setAttribute("data-state", "sent");
    var retry = p.bubble.querySelector("[data-testid='retry-button']");
    if (retry) { retry.remove(); }
  }

  function RetryableError() {}

  function post(body) {
    return window.fetch("/web/api/messages", {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "same-origin",
      cache: "no-store",
    }).then(function (response) {
      if (response.status >= 500 || response.status === 429) { throw new RetryableError(); }
      if (!response.ok) { return { status: "rejected", replies: [] }; }
      return response.json();
    }, function () { throw new RetryableError(); });
  }

  async function deliver(p) {
    setBusy(true);
    setTyping(true);
    setStatus("");
    p.bubble.setAttribute("data-state", "sending");
    try {
      for (var attempt = 0; ; attempt++) {
        try {
          var data = await post(p.body);
          markSent(p);
          pending = null;
          if (data.status === "rejected") {
            setStatus("这条消息无法发送，请修改后重试。");
          }
          var replies = data.replies || [];
          if (replies.length) { deactivateChoices(); }
          replies.forEach(function (reply) { addMessage("bot", reply, true); });
          if (data.status === "handed_off") {
            startStaffPolling(p.body.conversation_id);
          } else if (data.status === "answered") {
            stopStaffPolling();
          }
          return;
        } catch (error) {
          if (!(error instanceof RetryableError) || attempt >= RETRY_DELAYS_MS.length) {
            markFailed(p);
            if (p.body.text && !p.body.payload && !input.value) { input.value = p.body.text; }
            return;
          }
          await sleep(RETRY_DELAYS_MS[attempt]);
        }
      }
    } finally {
      setTyping(false);
      setBusy(false);
    }
  }

  function staffUrl(id, cursor) {
    var url = "/web/api/staff?conversation_id=" + encodeURIComponent(id);
    return cursor === null ? url : url + "&after=" + encodeURIComponent(String(cursor));
  }

  function stopStaffPolling() {
    staff.on = false;
    staff.cursor = null;
    staff.conversation = null;
    if (staff.timer !== null) { window.clearTimeout(staff.timer); }
    staff.timer = null;
    document.documentElement.removeAttribute("data-with-staff");
  }

  function scheduleStaffPoll(ms) {
    if (staff.timer !== null) { window.clearTimeout(staff.timer); }
    staff.timer = window.setTimeout(pollStaff, ms);
  }

  async function pollStaff() {
    staff.timer = null;
    var id = staff.conversation;
    if (!staff.on || !id) { return; }
    try {
      var response = await window.fetch(staffUrl(id, staff.cursor),
        { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) { throw new Error("staff " + response.status); }
      var data = await response.json();
      if (!staff.on || staff.conversation !== id) { return; }
      var messages = data.messages || [];
      if (messages.length) { deactivateChoices(); }
      messages.forEach(function (message) { addMessage("bot", message, true); });
      if (typeof data.cursor === "number") { staff.cursor = data.cursor; }
      if (!data.with_staff) { stopStaffPolling(); return; }
      scheduleStaffPoll(STAFF_POLL_MS);
    } catch (e) {
      if (staff.on) { scheduleStaffPoll(STAFF_POLL_ERROR_MS); }
    }
  }

  function startStaffPolling(id) {
    if (staff.on && staff.conversation === id) { return; }
    stopStaffPolling();
    staff.on = true;
    staff.conversation = id;
    document.documentElement.setAttribute("data-with-staff", "true");
    pollStaff();
  }

  function ensureConversation() {
    if (!conversationId) {
      conversationId = uuid4();
    }
    storageSet(KEY_CONVERSATION, conversationId);
    return conversationId;
  }

  function sendText(text) {
    if (busy) { return; }
    // The same text after a failure is the same message: resend, don't duplicate.
    if (pending && pending.failed && !pending.body.payload && pending.body.text === text) {
      input.value = "";
      deliver(pending);
      return;
    }
    var body = { conversation_id: ensureConversation(), message_id: uuid4(), text: text };
    pending = { body: body, bubble: addMessage("user", { text: text }, false), failed: false };
    input.value = "";
    deliver(pending).then(function () { input.focus(); });
  }

  function choose(group, button, choice) {
    if (busy) { return; }
    Array.prototype.forEach.call(group.querySelectorAll("button"), function (b) {
      b.disabled = true;
    });
    button.setAttribute("data-chosen", "true");
    var body = {
      conversation_id: ensureConversation(),
      message_id: uuid4(),
      payload: choice.payload,
      text: choice.title,
    };
    pending = { body: body, bubble: addMessage("user", { text: choice.title }, false), failed: false };
    deliver(pending).then(function () { input.focus(); });
  }

  function applyElder(on) {
    document.documentElement.classList.toggle("elder", on);
    elderToggle.setAttribute("aria-pressed", on ? "true" : "false");
    elderToggle.textContent = on ? "标准字体" : "大字模式";
  }

  async function restoreHistory(id) {
    setStatus("正在加载对话记录…");
    try {
      var response = await window.fetch(
        "/web/api/history?conversation_id=" + encodeURIComponent(id),
        { credentials: "same-origin", cache: "no-store" });
      if (!response.ok) { throw new Error("history " + response.status); }
      var data = await response.json();
      var messages = data.messages || [];
      messages.forEach(function (message, index) {
        var last = index === messages.length - 1;
        addMessage(message.role === "user" ? "user" : "bot", message, last && message.role === "bot");
      });
      setStatus("");
    } catch (e) {
      setStatus("暂时无法加载之前的对话记录，您可以继续提问。");
    }
    // A reloaded page whose conversation is still with staff keeps listening.
    startStaffPolling(id);
  }

  function startNewConversation() {
    if (busy) { return; }
    conversationId = null;
    pending = null;
    stopStaffPolling();
    storageRemove(KEY_CONVERSATION);
    while (log.firstChild) { log.removeChild(log.firstChild); }
    welcome.hidden = false;
    setStatus("已开始新的对话。");
    input.value = "";
    input.focus();
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var text = input.value.trim();
    if (text) { sendText(text); }
  });

  Array.prototype.forEach.call(document.querySelectorAll("[data-testid='suggestion']"), function (b) {
    b.addEventListener("click", function () { sendText(b.getAttribute("data-text")); });
  });

  elderToggle.addEventListener("click", function () {
    var on = !document.documentElement.classList.contains("elder");
    applyElder(on);
    storageSet(KEY_ELDER, on ? "1" : "0");
  });

  newConversation.addEventListener("click", startNewConversation);

  applyElder(storageGet(KEY_ELDER) === "1");
  var stored = storageGet(KEY_CONVERSATION);
  if (stored && UUID4.test(stored)) {
    conversationId = stored;
    restoreHistory(stored);
  }
})();
