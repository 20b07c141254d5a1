// Ask before an action that cannot be taken back (a mail goes out, an item is dismissed):
// a form with data-xac-nhan="question" is sent only when the person answers OK.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-xac-nhan");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
}, true);
