/* The demo shop's consent round trip: POST a choice to the gateway, read the history back. */
(function () {
  "use strict";
  var me = document.currentScript;
  var base = me.dataset.gateway + "/cg/" + me.dataset.site;
  var out = document.getElementById("rt-output");
  var token = null;

  function show(label, value) {
    out.textContent = label + "\n" + JSON.stringify(value, null, 2);
  }

  function choose(action) {
    var body = {action: action, lang: document.documentElement.lang, page: location.href};
    if (token) body.token = token;
    fetch(base + "/consent", {method: "POST", headers: {"Content-Type": "application/json"},
                               body: JSON.stringify(body)})
      .then(function (r) { return r.json(); })
      .then(function (receipt) {
        if (receipt.error) { show("Refused:", receipt.error); return null; }
        token = receipt.token;
        return fetch(base + "/consent/" + receipt.consent_id,
                     {headers: {Authorization: "Bearer " + token}}).then(function (r) {
          return r.json();
        }).then(function (history) { show("Recorded. Your history:", history); });
      })
      .catch(function (err) { out.textContent = "Request failed: " + err; });
  }

  document.querySelectorAll("[data-choice]").forEach(function (button) {
    button.addEventListener("click", function () { choose(button.dataset.choice); });
  });
})();
