// Upvotes without a page load. The upvote forms work without this file (a POST, then back to the page);
// it only saves the round trip: it sends the same form with fetch, asks for JSON, and updates the count
// and the pressed state in place. Anything but a JSON answer (a login page, a 403, a server error) falls
// back to sending the form the ordinary way, so the member sees what the server says.
(function () {
  "use strict";

  function show(form, state) {
    var button = form.querySelector("button.vote-button");
    var count = form.querySelector(".vote-count");
    if (!button || !count) return;
    button.setAttribute("aria-pressed", state.voted ? "true" : "false");
    button.value = state.voted ? "down" : "up";
    button.title = state.voted ? "Take back your upvote" : "Upvote";
    count.textContent = String(state.local);
  }

  function sendPlainly(form, action) {
    var field = document.createElement("input");
    field.type = "hidden";
    field.name = "action";
    field.value = action;
    form.appendChild(field);
    form.submit(); // submit() fires no submit event, so this handler does not see it again
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.classList.contains("vote")) return;
    event.preventDefault();
    if (form.dataset.busy) return; // one request at a time per button; a second click waits for it
    var button = form.querySelector("button.vote-button");
    var action = button ? button.value : "toggle";
    var body = new URLSearchParams(new FormData(form));
    body.set("action", action);
    form.dataset.busy = "1";
    fetch(form.getAttribute("action"), {
      method: "POST", body: body, credentials: "same-origin", headers: {Accept: "application/json"}
    }).then(function (answer) {
      var kind = answer.headers.get("content-type") || "";
      if (!answer.ok || kind.indexOf("application/json") !== 0) throw new Error("not a vote answer");
      return answer.json();
    }).then(function (state) {
      // The same paper can be on the page twice (a listing and its detail): keep every button in step.
      var selector = "form.vote[action=\"" + form.getAttribute("action").replace(/["\\]/g, "\\$&") + "\"]";
      document.querySelectorAll(selector).forEach(function (each) { show(each, state); });
      delete form.dataset.busy;
    }).catch(function () {
      delete form.dataset.busy;
      sendPlainly(form, action);
    });
  });
})();
