"""STAND-IN for the slice of edx-platform's course storage the stack uses: the CMS `import`
command filling the modulestore from OLX, `xmodule.modulestore.django.modulestore()`'s
has_course/get_course, and the LMS course API's detail view. Upstream keeps courses in
MongoDB (the split modulestore) and mirrors them into `CourseOverview` rows when a course
is published; the stand-in keeps one row per course in the stack's MySQL, shared by its
LMS and CMS as Tutor's two services share one database."""
