// cfbot chat widget. One line on an agency's page:
//   <script src="https://HOST/chat/widget.js" data-flow="clinic_visit" data-site="northside" async></script>
// adds a "Give feedback" button that opens our chat in an iframe (a dialog). The chat
// needs no cookie: its session token lives in the iframe's URL. It starts only on the
// origins of CFBOT_WIDGET_ORIGINS (the server fills them in below).
(function () {
  "use strict";
  var config = /*CFBOT_CONFIG*/ null;
  var script = document.currentScript;
  if (!config || !script) { return; }
  if (config.origins.indexOf(window.location.origin) === -1) {
    if (window.console) { console.warn("cfbot widget: " + window.location.origin + " is not in CFBOT_WIDGET_ORIGINS"); }
    return;
  }
  var chatOrigin = new URL(script.src).origin;
  var lang = (script.getAttribute("data-lang") || document.documentElement.lang || "en").toLowerCase().split("-")[0];
  var words = config.strings[lang] || config.strings.en;
  if (!config.strings[lang]) { lang = "en"; }
  var params = new URLSearchParams({ flow: script.getAttribute("data-flow") || "", lang: lang });
  ["site", "program"].forEach(function (key) {
    if (script.getAttribute("data-" + key)) { params.set(key, script.getAttribute("data-" + key)); }
  });
  var uid = "cfbot-chat-" + Math.random().toString(36).slice(2, 8);

  function styled(el, styles) {
    // CSSOM properties, not style attributes: allowed under the host page's CSP too
    Object.keys(styles).forEach(function (k) { el.style[k] = styles[k]; });
    return el;
  }
  var button = styled(document.createElement("button"), {
    position: "fixed", right: "1rem", bottom: "1rem", zIndex: "2147483000",
    font: "600 1rem/1.2 system-ui, sans-serif", padding: "0.75rem 1.25rem", minHeight: "44px",
    background: "#005ea2", color: "#ffffff", border: "2px solid #ffffff", borderRadius: "1.5rem",
    boxShadow: "0 2px 6px rgba(0,0,0,0.4)", cursor: "pointer"
  });
  button.type = "button";
  button.textContent = words.open;
  button.setAttribute("aria-haspopup", "dialog");
  button.setAttribute("aria-expanded", "false");
  button.setAttribute("aria-controls", uid);

  var dialog = styled(document.createElement("div"), {
    position: "fixed", right: "1rem", bottom: "4.5rem", zIndex: "2147483001",
    width: "min(24rem, calc(100vw - 2rem))", height: "min(36rem, calc(100vh - 6rem))",
    background: "#ffffff", border: "2px solid #1b1b1b", borderRadius: "0.5rem",
    boxShadow: "0 4px 16px rgba(0,0,0,0.4)", display: "none", flexDirection: "column"
  });
  dialog.id = uid;
  dialog.setAttribute("role", "dialog");
  dialog.setAttribute("aria-label", words.title);
  var bar = styled(document.createElement("div"), {
    display: "flex", justifyContent: "flex-end", padding: "0.25rem", borderBottom: "1px solid #a9aeb1"
  });
  var close = styled(document.createElement("button"), {
    font: "600 1rem/1 system-ui, sans-serif", minWidth: "44px", minHeight: "44px",
    background: "#ffffff", color: "#1b1b1b", border: "2px solid #1b1b1b", borderRadius: "0.25rem", cursor: "pointer"
  });
  close.type = "button";
  close.setAttribute("aria-label", words.close);
  close.textContent = "\u00d7";
  bar.appendChild(close);
  dialog.appendChild(bar);
  var frame = null;

  function open() {
    if (!frame) {
      // made on first open only: the survey starts when the visitor asks for it
      frame = styled(document.createElement("iframe"), { flex: "1", width: "100%", border: "0" });
      frame.title = words.title;
      frame.src = chatOrigin + "/chat/embed?" + params.toString();
      dialog.appendChild(frame);
      // a late load must not take focus from where the visitor has moved it (the close
      // button, the host page): only from the opening button or nowhere
      frame.addEventListener("load", function () {
        var here = document.activeElement;
        if (isOpen() && (!here || here === frame || here === button || here === document.body)) {
          frame.focus();
        }
      });
    }
    dialog.style.display = "flex";
    button.setAttribute("aria-expanded", "true");
    frame.focus();
  }
  function isOpen() { return dialog.style.display !== "none"; }
  function shut() {
    if (!isOpen()) { return; }
    dialog.style.display = "none";
    button.setAttribute("aria-expanded", "false");
    button.focus();
  }
  button.addEventListener("click", function () { if (isOpen()) { shut(); } else { open(); } });
  close.addEventListener("click", shut);
  dialog.addEventListener("keydown", function (ev) { if (ev.key === "Escape") { shut(); } });
  // Escape pressed inside the chat frame arrives as a message from that frame
  window.addEventListener("message", function (ev) {
    if (ev.origin === chatOrigin && frame && ev.source === frame.contentWindow &&
        ev.data && ev.data.cfbot === "close") { shut(); }
  });
  function mount() {
    document.body.appendChild(dialog);
    document.body.appendChild(button);
  }
  if (document.body) { mount(); } else { document.addEventListener("DOMContentLoaded", mount); }
})();
