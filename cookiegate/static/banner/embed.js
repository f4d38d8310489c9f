/* The blocked-embed placeholder: tells the page's banner what the visitor clicked. */
(function () {
  "use strict";
  var category = document.body.getAttribute("data-category");
  document.querySelectorAll("[data-ask]").forEach(function (button) {
    button.addEventListener("click", function () {
      parent.postMessage({cookiegate: button.getAttribute("data-ask"), category: category}, "*");
    });
  });
})();
