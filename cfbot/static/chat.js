// Progressive enhancement: send without reloading and poll for reminders.
// Without JavaScript the form posts and the page reloads, with the same result.
(function () {
  "use strict";
  var form = document.getElementById("send-form");
  var list = document.getElementById("transcript");
  if (!form || !list || !window.fetch) { return; }
  var input = form.querySelector("input[name=text]");
  var token = form.querySelector("input[name=csrf_token]").value;
  var clientIdField = form.querySelector("input[name=client_id]");

  function lastId() {
    var items = list.querySelectorAll("li[data-id]");
    return items.length ? parseInt(items[items.length - 1].getAttribute("data-id"), 10) : 0;
  }
  function newClientId() {
    return (window.crypto && crypto.randomUUID) ? crypto.randomUUID() : String(Date.now()) + Math.random();
  }
  function append(messages) {
    messages.forEach(function (m) {
      if (list.querySelector('li[data-id="' + m.id + '"]')) { return; }
      var li = document.createElement("li");
      li.className = "msg msg-" + (m.from === "bot" ? "bot" : "you");
      li.setAttribute("data-id", m.id);
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
  clientIdField.value = newClientId();
  // after starting a survey (or answering without JavaScript) the page opens at #latest:
  // put the focus in the answer box, where the next keystrokes belong
  if (window.location.hash === "#latest") { input.focus(); }
  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    var text = input.value;
    if (!text.trim()) { input.focus(); return; }
    var body = new URLSearchParams();
    body.set("text", text);
    body.set("csrf_token", token);
    body.set("client_id", clientIdField.value);
    fetch(form.action + "?after=" + lastId(), {
      method: "POST",
      headers: { "X-Requested-With": "fetch", "X-CSRF-Token": token },
      body: body,
      credentials: "same-origin"
    }).then(function (r) {
      // a rate-limited message still gets its answer (a crisis reply is never withheld)
      if (!r.ok && r.status !== 429) { throw new Error("send failed"); }
      return r.json();
    }).then(function (data) {
      input.value = "";
      clientIdField.value = newClientId();
      append(data.messages || []);
      if (data.open === false) {
        // the survey is over: no more answer box; the closing message stays readable and
        // the page's own link (rendered server-side, translated) offers another survey
        form.hidden = true;
        var done = document.getElementById("chat-done");
        if (done) { done.hidden = false; done.querySelector("a").focus(); }
        return;
      }
      input.focus();
    }).catch(function () { form.submit(); });
  });
  setInterval(function () {
    fetch(form.action.replace(/send$/, "messages") + "?after=" + lastId(), { credentials: "same-origin" })
      .then(function (r) { return r.ok ? r.json() : { messages: [] }; })
      .then(function (data) { append(data.messages || []); })
      .catch(function () {});
  }, 15000);
})();
