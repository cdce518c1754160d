// Progressive enhancement: send through the JSON chat API (/api/v1/chat) without
// reloading, and poll for reminders. The API takes the chat's token, never a cookie.
// On /chat, without JavaScript the form posts and the page reloads, with the same result.
// In the widget's iframe (data-embed) the survey starts here and the token is kept in
// this frame's URL, so a chat survives a reload where third-party cookies are blocked.
(function () {
  "use strict";
  var form = document.getElementById("send-form");
  var list = document.getElementById("transcript");
  if (!form || !list || !window.fetch || !window.URLSearchParams) { return; }
  var input = form.querySelector("input[name=text]");
  var clientIdField = form.querySelector("input[name=client_id]");
  var embedded = form.getAttribute("data-embed") === "1";
  var token = form.getAttribute("data-token") || "";
  var sendUrl = embedded ? form.action : form.getAttribute("data-api-send");
  var messagesUrl = form.getAttribute("data-messages");
  if (!token && !embedded) { return; }

  function lastId() {
    var items = list.querySelectorAll("li[data-id]");
    return items.length ? parseInt(items[items.length - 1].getAttribute("data-id"), 10) : 0;
  }
  function newClientId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }
  function append(messages) {
    messages.forEach(function (m) {
      if (m.id && list.querySelector('li[data-id="' + m.id + '"]')) { return; }
      var li = document.createElement("li");
      li.className = "msg msg-" + (m.from === "bot" ? "bot" : "you");
      if (m.id) { li.setAttribute("data-id", m.id); }
      // the same hidden "Survey:" / "You:" label as server-rendered lines, for screen readers
      var label = document.createElement("span");
      label.className = "visually-hidden";
      label.textContent = list.getAttribute(m.from === "bot" ? "data-label-bot" : "data-label-you") || "";
      li.appendChild(label);
      li.appendChild(document.createTextNode(" "));
      var span = document.createElement("span");
      span.className = "msg-text";
      span.textContent = m.text;  // never innerHTML: client and flow text is untrusted
      li.appendChild(span);
      list.appendChild(li);
    });
    if (messages.length) { list.lastElementChild.scrollIntoView({ block: "end" }); }
  }
  function finished() {
    // the survey is over: no more answer box; the closing message stays readable
    form.hidden = true;
    var done = document.getElementById("chat-done");
    if (done) {
      done.hidden = false;
      var link = done.querySelector("a");
      if (link) { link.focus(); }
    }
  }
  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
      credentials: "omit"
    });
  }
  function showError() {
    var box = document.getElementById("chat-error");
    if (box) { box.hidden = false; }
  }
  function poll() {
    if (!token) { return; }
    fetch(messagesUrl + "?" + new URLSearchParams({ token: token, after: String(lastId()) }), { credentials: "omit" })
      .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
      .then(function (data) { append(data.messages || []); })
      .catch(function () {});
  }

  clientIdField.value = newClientId();
  // after starting a survey (or answering without JavaScript) the page opens at #latest:
  // put the focus in the answer box, where the next keystrokes belong
  if (window.location.hash === "#latest") { input.focus(); }
  var busy = false;
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value;
    if (!text.trim()) { input.focus(); return; }
    if (busy) { return; }  // one message at a time: the answer box is cleared on reply
    busy = true;
    postJson(sendUrl, { token: token, text: text, client_id: clientIdField.value, after: lastId() })
      .then(function (r) {
        // a rate-limited message still gets its answer (a crisis reply is never withheld)
        if (!r.ok && r.status !== 429) { throw new Error("send failed"); }
        return r.json();
      }).then(function (data) {
        busy = false;
        input.value = "";
        clientIdField.value = newClientId();
        append(data.messages || []);
        if (data.open === false) { finished(); return; }
        input.focus();
      }).catch(function () {
        busy = false;
        if (embedded) { showError(); } else { form.submit(); }
      });
  });
  setInterval(poll, 15000);

  if (!embedded) { return; }
  // the widget's iframe: Escape asks the page around us to close the chat (key presses
  // in this frame never reach it); the message carries no data
  document.addEventListener("keydown", function (ev) {
    if (ev.key === "Escape" && window.parent !== window) {
      window.parent.postMessage({ cfbot: "close" }, "*");
    }
  });
  function ready(data) {
    append(data.messages || []);
    if (data.open === false) { finished(); return; }
    form.hidden = false;
    input.focus();
  }
  var params = new URLSearchParams(window.location.search);
  token = params.get("token") || "";
  if (token) {
    // a reload of the frame: carry on with the same chat
    fetch(messagesUrl + "?" + new URLSearchParams({ token: token, after: "0" }), { credentials: "omit" })
      .then(function (r) { if (!r.ok) { throw new Error("bad token"); } return r.json(); })
      .then(ready)
      .catch(showError);
    return;
  }
  var start = { flow: form.getAttribute("data-flow"), lang: form.getAttribute("data-lang") };
  if (form.getAttribute("data-site")) { start.site = form.getAttribute("data-site"); }
  if (form.getAttribute("data-program")) { start.program = form.getAttribute("data-program"); }
  postJson(form.getAttribute("data-start"), start)
    .then(function (r) { if (!r.ok) { throw new Error("start failed"); } return r.json(); })
    .then(function (data) {
      token = data.token;
      params.set("token", token);
      window.history.replaceState(null, "", window.location.pathname + "?" + params.toString());
      ready(data);
    })
    .catch(showError);
})();
