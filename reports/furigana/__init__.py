"""ふりがな for readers of the public table: readings made once at 公表 and stored with the version.

readings.py turns text into ruby segments (the office's dictionary first, then the analyser);
page.py adds them to a stored year page; services.py makes and stores them for a publication;
serving.py answers the public pages' toggle (?furigana=1, remembered in a cookie); search.py
gives the public search's hits their readings from storage.
"""
