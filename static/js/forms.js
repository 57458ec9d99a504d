/* Long text boxes say how much room is left. A browser silently cuts pasted text at the box's
   maxlength; the count (and its red at the limit) makes that visible before saving. */
(function () {
  "use strict";
  document.querySelectorAll("textarea[maxlength]").forEach(function (box) {
    var limit = parseInt(box.getAttribute("maxlength"), 10);
    if (!limit) { return; }
    var count = document.createElement("div");
    count.className = "form-text text-end";
    count.setAttribute("aria-live", "polite");
    var show = function () {
      count.textContent = box.value.length + " / " + limit;
      count.classList.toggle("text-danger", box.value.length >= limit);
    };
    box.insertAdjacentElement("afterend", count);
    box.addEventListener("input", show);
    show();
  });
})();
