"""The `govarchive` command line. The archive's logic lives in archive/ (reading and writing
the SQLite file and WARC captures) and crawler/ (Scrapy); these modules parse what users
type, check it, and print the answers."""


def main() -> None:
    """The `govarchive` script's entry: the command's modules load here, not when the script
    is read. multiprocessing runs the script again in every worker it starts (the extraction
    workers, the archive writer), and importing the command line there cost each 0.2 s of CPU."""
    from govarchive.cli import main as run

    run()
