"""Members' comments were signed "Owner" when the member had no display name: sign them with the
person (display name, else the e-mail's name part), as new ones are (`reviews.comments.member_author_name`)."""

from django.db import migrations
from django.db.migrations.state import StateApps
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

AUTHOR_NAME_MAX = 60


def sign_with_names(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    Comment = apps.get_model("reviews", "Comment")
    changed = []
    for comment in Comment.objects.filter(author__isnull=False).select_related("author").iterator():
        author = comment.author
        name = (author.display_name.strip() or author.email.split("@", 1)[0])[:AUTHOR_NAME_MAX]
        if comment.author_name != name:
            comment.author_name = name
            changed.append(comment)
    Comment.objects.bulk_update(changed, ["author_name"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("reviews", "0010_comment_drawings_beside_session_links")]

    operations = [migrations.RunPython(sign_with_names, migrations.RunPython.noop)]
